/**
 * The comments of `infra/`: every doc comment belongs to the declaration under it, and measured
 * figures live in BENCHMARKS.md, not in comments, where nothing updates them when they change.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './synth-app.ts';

/** The TypeScript files of `infra/`, with their lines. */
const SOURCES = readdirSync(join(REPO_ROOT, 'infra'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({
    file: `infra/${name}`,
    lines: readFileSync(join(REPO_ROOT, 'infra', name), 'utf8').split('\n'),
  }));

/** Whether a line is (part of) a comment: `//`, `/*`, or a `*` line inside a block. */
function isComment(line: string): boolean {
  return /^\s*(\/\/|\/\*|\*)/.test(line);
}

describe('infra/ comments', () => {
  it('attach every doc comment but the file header to the declaration right under it', () => {
    // GIVEN
    const orphans: string[] = [];

    // WHEN: a `/** … */` block followed by a blank line or another comment documents nothing
    for (const { file, lines } of SOURCES) {
      lines.forEach((line, index) => {
        if (index === 0 || !line.trim().startsWith('/**')) return;
        const end = lines.findIndex((l, i) => i >= index && l.includes('*/'));
        const next = lines[end + 1] ?? '';
        if (next.trim() === '' || isComment(next)) orphans.push(`${file}:${index + 1}`);
      });
    }

    // THEN
    expect(orphans).toEqual([]);
  });

  it('hold no timings in milliseconds: those are measured, and belong in BENCHMARKS.md', () => {
    // GIVEN
    const timings: string[] = [];

    // WHEN
    for (const { file, lines } of SOURCES) {
      lines.forEach((line, index) => {
        if (isComment(line) && /\d\s*ms\b/.test(line)) timings.push(`${file}:${index + 1}`);
      });
    }

    // THEN
    expect(timings).toEqual([]);
  });
});
