import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { Id, IdOrEmpty, MAX_ID_BYTES } from '../../lambda/message-fields.ts';

/** The rule the field schemas implement, as valibot's own byte count states it. */
const byValibot = v.pipe(v.string(), v.maxBytes(MAX_ID_BYTES));

/** Strings around the limit in every width of UTF-8, lone surrogates included. */
const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '中', '😀', '\uD800', '\uDC00'), maxLength: 600 }),
  fc.nat({ max: 700 }).map((n) => 'x'.repeat(n)),
);

describe('IDs in bytes', () => {
  it('are bounded exactly where valibot counts the limit', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const expected = v.safeParse(byValibot, text).success;
        expect(v.safeParse(IdOrEmpty, text).success).toBe(expected);
        expect(v.safeParse(Id, text).success).toBe(expected && text !== '');
      }),
    );
  });

  it('says how large an ID may be, never quoting it', () => {
    const result = v.safeParse(Id, '中'.repeat(MAX_ID_BYTES));
    expect(result.success).toBe(false);
    expect(result.issues?.map((issue) => issue.message)).toEqual([
      `must be at most ${MAX_ID_BYTES} bytes`,
    ]);
  });
});
