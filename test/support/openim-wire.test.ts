/**
 * The test suite's OpenIM bodies are byte for byte what Go's encoding/json makes of OpenIM's
 * structs: `test/fixtures/go-wire-bodies.json` holds the bodies that `test/fixtures/go-wire.go`
 * encoded for the samples below. Where Go is installed, the bodies are encoded again and must
 * still match; to refresh the file: `GO_WIRE_UPDATE=1 npx vitest run test/support/openim-wire.test.ts`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  encodeBody,
  encodeGroupBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  sampleGroupMessage,
  sampleMessage,
  V38_EXAMPLE_BODY,
} from './openim-wire.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const BODIES = join(FIXTURES, 'go-wire-bodies.json');

/** Messages that exercise Go's rules: escapes, emoji, line separators, null and filled lists. */
const single = [sampleMessage(3), sampleMessage(4, { content: '<a href="x">&</a>\u2028\u2029😀' })];
const group = [sampleGroupMessage(8), sampleGroupMessage(9, { ex: '{"k":"<v>"}' })];

/** What the receiver's tests send, encoded by them, and the input Go decodes for each. */
const SAMPLES: { kind: string; fields: unknown; encoded: string }[] = [
  ...single.map((m) => ({ kind: 'single', fields: m, encoded: encodeBody(m, 'v3.8.1') })),
  ...group.map((m) => ({ kind: 'group', fields: m, encoded: encodeGroupBody(m, 'v3.8.1') })),
  ...[...single, ...group].map((m, i) => {
    const encoded = encodeSaveDbBody(m, 40 + i);
    return { kind: 'saveDB', fields: JSON.parse(encoded), encoded };
  }),
  {
    kind: 'revoke',
    fields: {
      callbackCommand: COMMANDS.revoke,
      conversationID: 'sg_3069284561',
      seq: 42,
      userID: 'u',
    },
    encoded: encodeRevokeBody({ conversationID: 'sg_3069284561', seq: 42, userID: 'u' }),
  },
];

/** Whether Go can be run here. */
function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe("OpenIM's wire format in the tests", () => {
  it('encodes every callback exactly as Go encodes OpenIM’s structs', () => {
    const expected = JSON.parse(readFileSync(BODIES, 'utf8')) as string[];
    expect(SAMPLES.map((s) => s.encoded)).toEqual(expected);
  });

  it('keeps the real v3.8 example body, which the committed Go bodies start from', () => {
    const example = JSON.parse(V38_EXAMPLE_BODY);
    expect(encodeBody({ ...example }, 'v3.8.1')).toBe(V38_EXAMPLE_BODY);
  });

  it.runIf(hasGo())(
    'matches what Go encodes today, where Go is installed',
    () => {
      const input = JSON.stringify(SAMPLES.map(({ kind, fields }) => ({ kind, fields })));
      const bodies = JSON.parse(
        execFileSync('go', ['run', join(FIXTURES, 'go-wire.go')], { input, encoding: 'utf8' }),
      ) as string[];
      if (process.env.GO_WIRE_UPDATE) writeFileSync(BODIES, `${JSON.stringify(bodies, null, 2)}\n`);
      expect(bodies).toEqual(SAMPLES.map((s) => s.encoded));
    },
    120_000,
  );
});
