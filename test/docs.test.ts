/**
 * The README and `docs/` as a reader meets them: every relative link leads somewhere, nothing
 * points outside the repository, the commands name scripts and settings that exist, and what the
 * README shows of the callbacks is what the one list of callbacks says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../infra/settings.ts';
import { CALLBACKS, webhooksYaml } from '../lambda/callbacks.ts';
import { dayShardOf } from '../lambda/message-record.ts';
import { V38_EXAMPLE_BODY } from './support/openim-wire.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PAGES = [
  'README.md',
  'BENCHMARKS.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const text = (page: string) => readFileSync(join(ROOT, page), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a page's headings (outside code blocks). */
function anchors(page: string): Set<string> {
  const outsideCode = text(page).replace(/```[\s\S]*?```/g, '');
  return new Set([...outsideCode.matchAll(/^#+\s+(.+)$/gm)].map(([, h]) => slug(h ?? '')));
}

/** The section of the README between `<!-- name:start -->` and `<!-- name:end -->`. */
function section(name: string): string {
  const match = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(
    text('README.md'),
  );
  if (!match?.[1]) throw new Error(`README has no ${name} section`);
  return match[1];
}

describe('the README and docs/', () => {
  it.each(PAGES)('%s: every relative link resolves, to a heading where it names one', (page) => {
    const links = [...text(page).matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target ?? '');
    for (const link of links.filter((l) => !/^[a-z]+:/.test(l))) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? page : join(dirname(page), path);
      expect(existsSync(join(ROOT, target)), `${page} → ${link}`).toBe(true);
      if (anchor && target.endsWith('.md')) {
        expect([...anchors(target)], `${page} → ${link}`).toContain(anchor);
      }
    }
  });

  it.each(PAGES)('%s: points at nothing outside the repository', (page) => {
    expect(text(page)).not.toMatch(/\.\.\/shared|\.\.\/\.\./);
  });

  it.each(PAGES)('%s: every npm script it runs exists', (page) => {
    const scripts = Object.keys(
      (JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts,
    );
    const used = [...text(page).matchAll(/npm run (?:-s |--silent )?([a-z][\w:-]*)/g)].map(
      ([, name]) => name,
    );
    for (const name of used) expect(scripts, `${page}: npm run ${name}`).toContain(name);
  });

  it.each(PAGES)('%s: every -c setting it passes is one the app reads', (page) => {
    const keys = Object.keys(DEFAULT_SETTINGS);
    // `-c key=value` is the form itself, not a setting.
    for (const [, key] of text(page).matchAll(/-c ([A-Za-z]+)=(?!value)/g)) {
      expect(keys, `${page}: -c ${key}`).toContain(key);
    }
  });
});

describe("the README's contract", () => {
  it('lists every callback the receiver stores, from the one list', () => {
    const rows = CALLBACKS.map(
      (c) => `| \`${c.webhooksKey}\` | \`${c.command}\` | ${c.openImVersions} | ${c.summary} |`,
    );
    expect(section('callbacks')).toBe(
      [
        '| `webhooks.yml` key | Command | OpenIM versions | What it stores |',
        '|---|---|---|---|',
        ...rows,
        '',
      ].join('\n'),
    );
  });

  it('shows the webhooks.yml lines that npm run webhook-url prints', () => {
    const url = 'https://openim:PASSWORD@abc123defg.execute-api.eu-west-1.amazonaws.com';
    expect(section('webhooks-yml')).toBe(`\`\`\`yaml\n${webhooksYaml(url)}\`\`\`\n`);
  });

  it("gives a byDay key that finds its own sample message's day and shard", () => {
    const { sendTime, serverMsgID } = JSON.parse(V38_EXAMPLE_BODY);
    expect(text('README.md')).toContain(`"${dayShardOf(sendTime, serverMsgID)}"`);
  });
});
