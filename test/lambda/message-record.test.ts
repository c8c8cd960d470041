import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AfterSendSingleMsgSchema,
  afterSendSingleMsg,
  singleConversationId as conversationIdOf,
  SINGLE_MSG_FIELDS,
} from '../../lambda/callbacks/after-send-single-msg.ts';
import { validateBody } from '../../lambda/message-fields.ts';
import {
  dayShardOf,
  largestFields,
  type RecordContext,
  recordSizeBytes,
} from '../../lambda/message-record.ts';
import { extraFieldsArb, idArb, messageArb } from '../support/arbitraries.ts';
import { encodeBody, sampleMessage, V38_EXAMPLE_BODY } from '../support/openim-wire.ts';
import { toCallbackBody } from '../support/records.ts';

/** The single-chat callback's record for a message. */
const toMessageRecord = (message: ReturnType<typeof valid>, context: RecordContext) =>
  afterSendSingleMsg.toRecord(message, context);

/** Parses and validates a body, failing the test if it is invalid. */
function valid(body: unknown) {
  const result = validateBody(AfterSendSingleMsgSchema, body);
  if (!result.ok) throw new Error(`invalid: ${JSON.stringify(result.problems)}`);
  return result.message;
}

describe('conversationIdOf', () => {
  it("is OpenIM's si_ ID with the two user IDs in order", () => {
    expect(conversationIdOf(1, 'user_b', 'user_a')).toBe('si_user_a_user_b');
    expect(conversationIdOf(1, 'user_a', 'user_b')).toBe('si_user_a_user_b');
  });

  it('uses sn_ for notifications, as OpenIM does', () => {
    expect(conversationIdOf(4, 'admin', 'user_a')).toBe('sn_admin_user_a');
  });

  it("orders by UTF-8 bytes like Go's sort.Strings, not by UTF-16 units like JS sort", () => {
    // U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D) but before it in UTF-8.
    expect(conversationIdOf(1, '😀', '～')).toBe('si_～_😀');
  });

  it('puts first the ID whose UTF-8 bytes sort first, whatever the characters', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const [first, second] =
          Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a];
        expect(conversationIdOf(1, a, b)).toBe(`si_${first}_${second}`);
      }),
      { numRuns: 500 },
    );
  });

  it('is the same whoever sent', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        expect(conversationIdOf(1, a, b)).toBe(conversationIdOf(1, b, a));
      }),
    );
  });
});

describe('toMessageRecord', () => {
  it("keeps OpenIM's fields under their own names and adds the receiver's", () => {
    const message = valid(JSON.parse(V38_EXAMPLE_BODY));

    const record = toMessageRecord(message, { receivedAt: 1_746_797_849_000 });

    expect(record).toEqual({
      ...JSON.parse(V38_EXAMPLE_BODY),
      conversationID: 'si_user_a_user_b',
      sentAt: 1746797848316,
      receivedAt: 1_746_797_849_000,
      dayShard: expect.stringMatching(/^2025-05-09#(0\d|1[0-5])$/),
    });
  });

  it('orders by createTime when the server is older than v3.8.1 and sends no sendTime', () => {
    const message = valid(JSON.parse(encodeBody(sampleMessage(9), 'v3.5')));

    const record = toMessageRecord(message, { receivedAt: 0 });

    expect(record.sentAt).toBe(sampleMessage(9).createTime);
    expect(record).not.toHaveProperty('sendTime');
  });

  it('keeps unknown fields as one JSON object, apart from the known ones', () => {
    const message = valid({
      ...JSON.parse(V38_EXAMPLE_BODY),
      groupID: 'g1',
      flags: [1, { a: null }],
    });

    const record = toMessageRecord(message, { receivedAt: 0 });

    expect(JSON.parse(record.unknownFields ?? '')).toEqual({
      groupID: 'g1',
      flags: [1, { a: null }],
    });
    expect(record).not.toHaveProperty('groupID');
  });

  it('sets expiresAt, in seconds, only when a TTL is configured', () => {
    const message = valid(JSON.parse(V38_EXAMPLE_BODY));

    expect(toMessageRecord(message, { receivedAt: 10_000 })).not.toHaveProperty('expiresAt');
    expect(toMessageRecord(message, { receivedAt: 10_000, ttlDays: 2 }).expiresAt).toBe(
      10 + 2 * 86_400,
    );
  });

  it('round-trips: the body can be rebuilt from any record', () => {
    fc.assert(
      fc.property(messageArb, extraFieldsArb, (message, extra) => {
        const body = JSON.parse(JSON.stringify({ ...message, ...extra }));

        const record = toMessageRecord(valid(body), { receivedAt: 1 });

        expect(toCallbackBody(record, SINGLE_MSG_FIELDS)).toEqual(body);
      }),
    );
  });
});

describe('dayShardOf', () => {
  it('is the UTC day of the send time and a shard that depends only on the message ID', () => {
    expect(dayShardOf(Date.UTC(2025, 4, 9, 23, 59), 'm1')).toBe(
      dayShardOf(Date.UTC(2025, 4, 9, 0, 0), 'm1'),
    );
    expect(dayShardOf(Date.UTC(2025, 4, 9, 23, 59), 'm1')).toMatch(/^2025-05-09#\d\d$/);
    expect(dayShardOf(-8_640_000_000_000_001, 'm')).toMatch(/^0000-01-01#/);
    expect(dayShardOf(Number.MAX_SAFE_INTEGER, 'm')).toMatch(/^9999-12-31#/);
  });

  it('spreads one day over all 16 shards', () => {
    const shards = new Set(Array.from({ length: 2000 }, (_, i) => dayShardOf(0, `msg-${i}`)));
    expect(shards.size).toBe(16);
  });
});

describe('recordSizeBytes', () => {
  it('counts attribute names, UTF-8 string bytes and list overhead', () => {
    const record = toMessageRecord(valid(JSON.parse(V38_EXAMPLE_BODY)), { receivedAt: 0 });
    const withContent = { ...record, content: 'é'.repeat(1000) };

    expect(recordSizeBytes(withContent) - recordSizeBytes(record)).toBe(
      2000 - Buffer.byteLength(record.content as string),
    );
    expect(recordSizeBytes({ ...record, atUserList: ['ab', 'c'] })).toBe(
      recordSizeBytes({ ...record, atUserList: null }) - 1 + 3 + (1 + 2) + (1 + 1),
    );
  });

  it('names the largest fields first', () => {
    const record = toMessageRecord(valid(JSON.parse(V38_EXAMPLE_BODY)), { receivedAt: 0 });

    const largest = largestFields({ ...record, content: 'x'.repeat(5000), ex: 'y'.repeat(100) });

    expect(largest).toEqual(['content (5000 bytes)', 'ex (100 bytes)', 'operationID (36 bytes)']);
  });
});
