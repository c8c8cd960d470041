import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AfterSendSingleMsgSchema,
  SINGLE_MSG_FIELDS as KNOWN_FIELDS,
} from '../../../lambda/callbacks/after-send-single-msg.ts';
import { MAX_ID_BYTES, validateBody } from '../../../lambda/message-fields.ts';
import { brokenMessageArb, extraFieldsArb, messageArb } from '../../support/arbitraries.ts';
import {
  encodeBody,
  FIELD_ORDER,
  sampleMessage,
  V38_EXAMPLE_BODY,
} from '../../support/openim-wire.ts';

/** Validates a body as the single-chat callback's. */
const validateCallback = (body: unknown) => validateBody(AfterSendSingleMsgSchema, body);

describe('the single-chat callback body', () => {
  it('accepts the body a real v3.8 server sends', () => {
    // GIVEN
    const body = JSON.parse(V38_EXAMPLE_BODY);

    // WHEN
    const result = validateCallback(body);

    // THEN
    expect(result).toEqual({ ok: true, message: body });
  });

  it('accepts a body from before v3.8.1, which has no sendTime', () => {
    const body = JSON.parse(encodeBody(sampleMessage(1), 'v3.7'));
    expect(body).not.toHaveProperty('sendTime');

    const result = validateCallback(body);

    expect(result.ok).toBe(true);
  });

  it('knows the 19 fields of CallbackAfterSendSingleMsgReq', () => {
    expect([...KNOWN_FIELDS]).toEqual(FIELD_ORDER);
  });

  it('keeps fields that a newer OpenIM adds', () => {
    const body = { ...JSON.parse(V38_EXAMPLE_BODY), groupID: '', isRead: false, ext: { a: [1] } };

    const result = validateCallback(body);

    expect(result).toEqual({ ok: true, message: body });
  });

  it('takes an atUserList of user IDs as well as null', () => {
    const body = { ...JSON.parse(V38_EXAMPLE_BODY), atUserList: ['user_b', 'user_c'] };
    expect(validateCallback(body).ok).toBe(true);
  });

  it('accepts an empty operationID, which must not cost a message', () => {
    const body = { ...JSON.parse(V38_EXAMPLE_BODY), operationID: '' };
    expect(validateCallback(body).ok).toBe(true);
  });

  it.each([
    ['sendID', '', 'must not be empty'],
    ['recvID', 'x'.repeat(MAX_ID_BYTES + 1), `must be at most ${MAX_ID_BYTES} bytes`],
    ['serverMsgID', '😀'.repeat(MAX_ID_BYTES / 4 + 1), `must be at most ${MAX_ID_BYTES} bytes`],
    ['seq', -1, 'must be at least 0'],
    ['sessionType', 2 ** 31, `must be at most ${2 ** 31 - 1}`],
    ['createTime', 1.5, 'must be an integer'],
    ['sendTime', 2 ** 53, `must be at most ${Number.MAX_SAFE_INTEGER}`],
    ['content', 5, 'must be a string'],
    ['atUserList', 'user_b', 'must be a list of user IDs or null'],
  ])('refuses %s = %j, saying what is wrong', (field, value, problem) => {
    const body = { ...JSON.parse(V38_EXAMPLE_BODY), [field]: value };

    const result = validateCallback(body);

    expect(result).toEqual({ ok: false, problems: { [field]: [problem] } });
  });

  it('names every missing field', () => {
    const result = validateCallback({});

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.problems).sort()).toEqual(
      [...KNOWN_FIELDS].filter((f) => f !== 'sendTime').sort(),
    );
    expect(result.problems.sendID).toEqual(['is required']);
  });

  it.each([[[]], ['text'], [42], [null]])('refuses a body that is not an object: %j', (body) => {
    const result = validateCallback(body);
    expect(result.ok).toBe(false);
  });

  it('accepts every valid message, with any extra fields', () => {
    fc.assert(
      fc.property(messageArb, extraFieldsArb, (message, extra) => {
        const body = JSON.parse(JSON.stringify({ ...message, ...extra }));
        expect(validateCallback(body)).toEqual({ ok: true, message: body });
      }),
    );
  });

  it('keeps extra fields named prototype and constructor, which valibot alone would drop', () => {
    // GIVEN a valid body whose extra fields have the names valibot's looseObject leaves out
    const body = JSON.parse(
      `{${V38_EXAMPLE_BODY.trim().slice(1, -1)},"prototype":{"a":1},"constructor":"x"}`,
    );

    // WHEN it is validated
    const result = validateCallback(body);

    // THEN both are in the message, as plain own data
    expect(result).toEqual({ ok: true, message: body });
    expect(result.ok && Object.hasOwn(result.message, 'constructor')).toBe(true);
    expect(Object.getPrototypeOf(result.ok ? result.message : null)).toBe(Object.prototype);
  });

  it('refuses every message broken in one field, names that field, and never quotes a value', () => {
    fc.assert(
      fc.property(brokenMessageArb, ({ body, breakage }) => {
        const result = validateCallback(body);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const fields = Object.keys(result.problems).map((path) => path.split('.')[0]);
        expect(fields).toContain(breakage.field);
        // Problems are fixed phrases; no received value (which may be content) appears in them.
        for (const message of Object.values(result.problems).flat()) {
          expect(message).toMatch(/^(is required|must [a-z0-9 ,<>=!"-]+)$/i);
        }
      }),
    );
  });
});
