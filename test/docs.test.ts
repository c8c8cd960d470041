/**
 * The README and `docs/` as a reader meets them: every relative link leads somewhere, nothing
 * points outside the repository, the commands name scripts and settings that exist, what the
 * README shows of the callbacks is what the one list of callbacks says, and every curl body and
 * `records` command shown works when copied.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../infra/settings.ts';
import { CALLBACKS, webhooksEnv, webhooksYaml } from '../lambda/callbacks.ts';
import { dayShardOf } from '../lambda/message-record.ts';
import { main as records } from '../tools/records.ts';
import { COMMANDS, FIELD_ORDER, goJson, V38_EXAMPLE_BODY } from './support/openim-wire.ts';
import { post, SUCCESS, startTestReceiver, type TestReceiver } from './support/test-receiver.ts';
import { runMain } from './support/tool-main.ts';

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

  it('shows the environment variables that npm run webhook-url prints', () => {
    const url = 'https://openim:PASSWORD@abc123defg.execute-api.eu-west-1.amazonaws.com';
    expect(section('webhooks-env')).toBe(`\`\`\`text\n${webhooksEnv(url)}\`\`\`\n`);
  });

  it("gives a byDay key that finds its own sample message's day and shard", () => {
    const { sendTime, serverMsgID } = JSON.parse(V38_EXAMPLE_BODY);
    expect(text('README.md')).toContain(`"${dayShardOf(sendTime, serverMsgID)}"`);
  });
});

/** A curl command of the docs: where it was, the path it posts to, and its body. */
interface CurlCommand {
  readonly page: string;
  readonly path: string;
  readonly body: string;
}

/** The shell code blocks of a page. */
function shellBlocks(page: string): string[] {
  return [...text(page).matchAll(/```sh\n([\s\S]*?)```/g)].map(([, block]) => block ?? '');
}

/** Every `curl` of a page's shell blocks, its continued lines joined, with its path and body. */
function curlCommands(page: string): CurlCommand[] {
  return shellBlocks(page).flatMap((block) => {
    // Indented blocks (in a list) lose their indent; continued lines become one.
    const lines = block.replace(/^ +/gm, '').replace(/\\\n/g, ' ');
    return [...lines.matchAll(/^curl .*$/gm)].map(([line]) => {
      const path = /(?:https?:\/\/[^/\s"']+|\$URL)(\/[^\s"']*)/.exec(line)?.[1];
      const inline = /--data-binary '([^']*)'/.exec(line)?.[1];
      const heredoc = /--data-binary @- <<'EOF'$/.test(line)
        ? /<<'EOF'\n([\s\S]*?)\nEOF/.exec(lines.slice(lines.indexOf(line)))?.[1]
        : undefined;
      const body = inline ?? heredoc;
      if (!path || body === undefined) throw new Error(`${page}: cannot read ${line}`);
      return { page, path, body };
    });
  });
}

/** The key order of each callback's Go struct, as OpenIM encodes it. */
const STRUCT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  [COMMANDS.single]: FIELD_ORDER,
  [COMMANDS.group]: [...FIELD_ORDER.slice(0, -1), 'groupID'],
  [COMMANDS.saveDB]: [...FIELD_ORDER.slice(0, -1), 'recvID', 'groupID'],
  [COMMANDS.revoke]: ['callbackCommand', 'conversationID', 'seq', 'userID'],
};

const CURLS = PAGES.flatMap(curlCommands);

describe('the curl commands of the README and docs/', () => {
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await startTestReceiver();
  });
  afterAll(() => receiver.close());

  it('include one for each callback the receiver stores', () => {
    const posted = new Set(CURLS.map(({ path }) => path.slice(1)));
    for (const { command } of CALLBACKS) expect(posted, command).toContain(command);
  });

  it.each(CURLS.map((curl) => [`${curl.page} ${curl.path}`, curl] as const))(
    '%s: posts a body exactly as OpenIM encodes it',
    (_, { path, body }) => {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(STRUCT_FIELDS[String(parsed.callbackCommand)]);
      expect(path).toBe(`/${parsed.callbackCommand}`);
      // Go's encoding/json: no spaces, `<`, `>` and `&` escaped.
      expect(goJson(parsed)).toBe(body);
    },
  );

  it('are each answered success by the real handler, in the order shown', async () => {
    for (const { page, path, body } of CURLS) {
      const answer = await post(receiver.handler, path, body);
      expect(answer, `${page} ${path}`).toEqual({ statusCode: 200, body: SUCCESS });
    }
  });

  it("makes the README's records commands show what the walk says", async () => {
    // GIVEN every callback the docs post, stored
    for (const { path, body } of CURLS) await post(receiver.handler, path, body);
    const env = {
      DYNAMODB_PORT: new URL(receiver.engine.endpoint).port,
      TABLE_NAME: receiver.tables.messages,
    };

    // WHEN each records command of the README runs as copied (JSON, as when piped)
    const commands = shellBlocks('README.md')
      .flatMap((block) => block.split('\n'))
      .map((line) => line.trim())
      .filter((line) => line.startsWith('npm run -s records -- '));
    const outputs = new Map<string, Record<string, unknown>[]>();
    for (const command of commands) {
      const argv = command.slice('npm run -s records -- '.length).split(/\s+/);
      const result = await runMain(records, argv, { env });
      expect(result.code, `${command}: ${result.stderr}`).toBe(0);
      outputs.set(argv[0] ?? '', result.json);
    }

    // THEN the seq finds the revoked message, the conversation shows it with its seq and revoke,
    // the gaps are the seqs before it, and the group has its message
    const revoke = { revokedBy: 'user_a', revokedAt: expect.any(Number) };
    const message = { serverMsgID: '0b2676769e9eceb4983cb12966586f48', seq: 3, ...revoke };
    expect([...outputs.keys()].sort()).toEqual(['conversation', 'gaps', 'group', 'seq']);
    expect(outputs.get('seq')).toEqual([
      expect.objectContaining({
        conversationID: 'si_user_a_user_b',
        seq: 3,
        ...revoke,
        message: expect.objectContaining(message),
      }),
    ]);
    expect(outputs.get('conversation')).toContainEqual(expect.objectContaining(message));
    expect(outputs.get('gaps')).toEqual([
      { conversationID: 'si_user_a_user_b', fromSeq: 1, toSeq: 2, openim: 'not-asked' },
    ]);
    expect(outputs.get('group')).toEqual([
      expect.objectContaining({
        groupID: '3069284561',
        content: '{"content":"Tom & Jerry <3"}',
        atUserList: ['user_b'],
      }),
    ]);
  });
});
