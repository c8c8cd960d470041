import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordItem } from '../../lambda/archive-store.ts';
import { SAVE_DB_FIELDS } from '../../lambda/callbacks/after-msg-save-db.ts';
import type { MessageRecord } from '../../lambda/message-record.ts';
import { type ArchiveTableNames, MESSAGES_TABLE, SEQS_TABLE } from '../../lambda/table-schema.ts';
import { LOCAL_AWS, type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import {
  archiveState,
  callbacksOf,
  conversationOf,
  type Delivered,
  deliver,
  deliveriesArb,
  expectedUnknownFields,
  harnessInstance,
  NOW,
} from '../support/archive-harness.ts';
import { type OpenImMessage, sampleGroupMessage, sampleMessage } from '../support/openim-wire.ts';
import { keptSaveDbOfMessage, singleRecordOf } from '../support/records.ts';
import { inParallel } from '../support/send.ts';
import { messageItem, SUCCESS, scanAll } from '../support/test-receiver.ts';
import { meterWrites } from '../support/write-units.ts';

let engine: LocalEngine;
beforeAll(async () => {
  engine = await startLocalEngine();
});
afterAll(() => engine.close());

/** A receiver on new tables (or `tables`), as one Lambda instance. */
const instance = (tables?: ArchiveTableNames, jitterMs = 0) =>
  harnessInstance(engine, { ...(tables ? { tables } : {}), jitterMs });

/** Both tables' items, in key order. */
const state = (tables: ArchiveTableNames) => archiveState(engine, tables);

/** What converting a record gives: the item, or the error's message. */
function converted(convert: () => unknown): unknown {
  try {
    return convert();
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

describe('a record as an item', () => {
  it('is exactly what marshall makes of it, for every value a record holds and any other', () => {
    // GIVEN records of every value type OpenIM sends, numbers marshall refuses, and stranger ones
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constantFrom(
        Number.MAX_SAFE_INTEGER + 2,
        -(2 ** 60),
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.string()),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
      fc.boolean(),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (record) => {
        // THEN the item, or the refusal, is marshall's
        expect(converted(() => recordItem(record))).toEqual(
          converted(() => marshall(record, { removeUndefinedValues: true })),
        );
      }),
    );
  });
});

describe('the archive store', () => {
  it('stores an after-send message once and reports a repeat as a duplicate', async () => {
    const { store, client } = await instance();
    expect(await store.insertMessage(singleRecordOf(1))).toEqual({ outcome: 'stored' });
    expect(await store.insertMessage(singleRecordOf(1))).toEqual({ outcome: 'duplicate' });
    client.destroy();
  });

  it('ends in the same tables whatever order and however often the callbacks arrive', async () => {
    await fc.assert(
      fc.asyncProperty(deliveriesArb, async ({ delivered, order, parallel }) => {
        // GIVEN the state that the callbacks leave in their natural order
        const natural = await instance();
        for (const d of delivered) {
          for (const callback of callbacksOf(d)) {
            expect(await deliver(natural.handler, d, callback)).toEqual({
              statusCode: 200,
              body: SUCCESS,
            });
          }
        }

        // WHEN the same callbacks, repeats included, arrive shuffled, a few at a time
        const shuffled = await instance();
        for (let i = 0; i < order.length; i += parallel) {
          const answers = await Promise.all(
            order
              .slice(i, i + parallel)
              .map(({ d, callback }) => deliver(shuffled.handler, d, callback)),
          );
          for (const answer of answers) expect(answer).toEqual({ statusCode: 200, body: SUCCESS });
        }

        // THEN both tables hold exactly the same items: one record per message, the real seq,
        // the save-DB values, every revoke marked, the unknown fields of both callbacks
        const expected = await state(natural.tables);
        expect(await state(shuffled.tables)).toEqual(expected);
        expect(expected.messages).toHaveLength(delivered.length);
        for (const d of delivered) {
          const record = expected.messages.find((m) => m.serverMsgID === d.message.serverMsgID);
          expect(record).toMatchObject({
            seq: d.seq,
            ex: (d.saved ?? d.message).ex,
            conversationID: conversationOf(d),
            operationID: `${d.message.operationID}-savedb`,
          });
          if (d.revokedBy) expect(record).toMatchObject({ revokedBy: d.revokedBy, revokedAt: NOW });
          else expect(record).not.toHaveProperty('revokedBy');
          // Fields only one callback carried are kept, whichever came first; the save-DB's win
          const unknown = expectedUnknownFields(d);
          if (unknown) expect(JSON.parse(String(record?.unknownFields))).toEqual(unknown);
          else expect(record).not.toHaveProperty('unknownFields');
        }
        for (const { client } of [natural, shuffled]) client.destroy();
      }),
      { numRuns: 40 },
    );
  }, 180_000);

  it('marks every message whose revoke and save-DB run at the same moment in two instances', async () => {
    // GIVEN two Lambda instances (own clients, own stores) on the same tables, whose requests
    // take a few random ms to go out
    const first = await instance(undefined, 4);
    const second = await instance(first.tables, 4);
    const messages = Array.from({ length: 300 }, (_, i): Delivered => {
      const message = i % 2 === 0 ? sampleMessage(500_000 + i) : sampleGroupMessage(500_000 + i);
      return {
        kind: i % 2 === 0 ? 'single' : 'group',
        message,
        seq: 10 + i,
        revokedBy: message.sendID,
      };
    });

    // WHEN each message's save-DB and revoke are posted at once, to different instances (which
    // one goes to which alternates), 16 messages at a time
    await inParallel(messages, 16, async (d, i) => {
      const [a, b] = i % 2 === 0 ? [first, second] : [second, first];
      const answers = await Promise.all([
        deliver(a.handler, d, 'saveDB'),
        deliver(b.handler, d, 'revoke'),
      ]);
      for (const answer of answers) expect(answer.statusCode).toBe(200);
    });

    // THEN every one is marked revoked
    for (const d of messages) {
      const record = await messageItem(engine.client, first.tables.messages, d.message.serverMsgID);
      expect(record, d.message.serverMsgID).toMatchObject({ revokedBy: d.revokedBy, seq: d.seq });
    }
    for (const { client } of [first, second]) client.destroy();
  }, 60_000);

  it('keeps a revoke whose message never arrives, findable by conversation and seq', async () => {
    // GIVEN a revoke of a seq whose save-DB callback never comes
    const { handler, tables, client } = await instance();
    const d: Delivered = {
      kind: 'single',
      message: sampleMessage(600_001),
      seq: 42,
      revokedBy: 'user_1',
    };
    await deliver(handler, d, 'afterSend');

    // WHEN the revoke arrives
    expect((await deliver(handler, d, 'revoke')).statusCode).toBe(200);

    // THEN it waits on the seq, and the after-send record (seq 0) is untouched
    expect(await scanAll(engine.client, tables.seqs)).toEqual([
      { conversationID: conversationOf(d), seq: 42, revokedBy: 'user_1', revokedAt: NOW },
    ]);
    const record = await messageItem(engine.client, tables.messages, d.message.serverMsgID);
    expect(record).toMatchObject({ seq: 0 });
    expect(record).not.toHaveProperty('revokedBy');
    client.destroy();
  });
});

describe('a seq that a second message claims', () => {
  /** Message `n` of a conversation between user_1 and user_2 (so two messages share it). */
  const inOneChat = (n: number, seq: number, revokedBy?: string): Delivered => ({
    kind: 'single',
    message: sampleMessage(n, { sendID: 'user_1', recvID: 'user_2' }),
    seq,
    ...(revokedBy ? { revokedBy } : {}),
  });

  it.each([
    ['after the first message', ['first', 'second', 'revoke']],
    ['before the second message', ['first', 'revoke', 'second']],
    ['before both', ['revoke', 'first', 'second']],
  ] as const)(
    'stays with the first message; both are kept, and a revoke arriving %s marks the first only',
    async (_when, order) => {
      // GIVEN two different messages whose save-DB callbacks bring the same seq of one chat (an
      // OpenIM restored from a backup, or two OpenIM servers on one receiver)
      const { handler, tables, client, store } = await instance();
      const first = inOneChat(610_001, 7, 'user_1');
      const second = inOneChat(610_002, 7);
      const conversationID = conversationOf(first);

      // WHEN they and a revoke of that seq arrive
      for (const step of order) {
        const answer =
          step === 'revoke'
            ? await deliver(handler, first, 'revoke')
            : await deliver(handler, step === 'first' ? first : second, 'saveDB');
        expect(answer).toEqual({ statusCode: 200, body: SUCCESS });
      }

      // THEN the seq stays linked to the first, which alone is marked revoked; the second is
      // stored as it came, with the seq it claimed, and the conflict is on the seq and in the log
      const [seqItem] = (await scanAll(engine.client, tables.seqs)).filter(
        (item) => item.conversationID === conversationID,
      );
      expect(seqItem).toMatchObject({
        conversationID,
        seq: 7,
        serverMsgID: first.message.serverMsgID,
        revokedBy: 'user_1',
        conflictingMsgIDs: new Set([second.message.serverMsgID]),
      });
      const records = await scanAll(engine.client, tables.messages);
      expect(records).toHaveLength(2);
      expect(records.find((r) => r.serverMsgID === first.message.serverMsgID)).toMatchObject({
        seq: 7,
        revokedBy: 'user_1',
      });
      const claimant = records.find((r) => r.serverMsgID === second.message.serverMsgID);
      expect(claimant).toMatchObject({ seq: 7, content: second.message.content });
      expect(claimant).not.toHaveProperty('revokedBy');
      const log = (await scanAll(engine.client, tables.seqs)).filter((item) =>
        String(item.conversationID).startsWith('~conflicts#'),
      );
      expect(log).toEqual([
        expect.objectContaining({
          conflictConversationID: conversationID,
          conflictSeq: 7,
          serverMsgID: second.message.serverMsgID,
          linkedMsgID: first.message.serverMsgID,
        }),
      ]);

      // AND a repeat of the second message's callbacks changes nothing and reports nothing new
      const before = await state(tables);
      const saved = keptSaveDbOfMessage(second.message as OpenImMessage, 7).record;
      expect(await store.saveMessage(saved as MessageRecord, SAVE_DB_FIELDS)).toEqual({
        outcome: 'duplicate',
      });
      await deliver(handler, second, 'afterSend');
      expect(await state(tables)).toEqual(before);
      client.destroy();
    },
  );

  it('reports the conflict to the caller once, with both IDs', async () => {
    const { store, client } = await instance();
    const recordOf = (n: number) =>
      keptSaveDbOfMessage(inOneChat(n, 3).message as OpenImMessage, 3).record as MessageRecord;
    const [first, second] = [recordOf(611_001), recordOf(611_002)];

    expect(await store.saveMessage(first, SAVE_DB_FIELDS)).toEqual({ outcome: 'stored' });
    const result = await store.saveMessage(second, SAVE_DB_FIELDS);

    expect(result).toEqual({
      outcome: 'stored',
      seqConflict: {
        conversationID: 'si_user_1_user_2',
        seq: 3,
        linkedMsgID: first.serverMsgID,
        claimedBy: second.serverMsgID,
      },
    });
    expect(await store.saveMessage(second, SAVE_DB_FIELDS)).toEqual({ outcome: 'duplicate' });
    client.destroy();
  });
});

describe('revokes', () => {
  it('keep the earliest revoke time known, whichever arrives first', async () => {
    // GIVEN a stored, linked message
    const { store, client, tables } = await instance();
    const d: Delivered = { kind: 'single', message: sampleMessage(612_001), seq: 5 };
    const { handler } = await instance(tables);
    await deliver(handler, d, 'saveDB');
    const conversationID = conversationOf(d);
    const revoke = (revokedAt: number) => ({
      conversationID,
      seq: 5,
      revokedBy: d.message.sendID,
      revokedAt,
    });

    // WHEN a later revoke time comes first, then an earlier one (as a reconcile reads OpenIM's
    // own revoke time after the callback), then the later one again
    const late = await store.recordRevoke(revoke(NOW + 5_000));
    const early = await store.recordRevoke(revoke(NOW));
    const repeat = await store.recordRevoke(revoke(NOW + 5_000));

    // THEN the first marked the message, the earlier time replaced the later, the repeat did
    // nothing, and the seq and the message agree
    expect(late).toEqual({ outcome: 'stored', marked: true });
    expect(early).toEqual({ outcome: 'stored', marked: false });
    expect(repeat).toEqual({ outcome: 'duplicate', marked: false });
    const record = await messageItem(engine.client, tables.messages, d.message.serverMsgID);
    expect(record).toMatchObject({ revokedBy: d.message.sendID, revokedAt: NOW });
    const [seqItem] = await scanAll(engine.client, tables.seqs);
    expect(seqItem).toMatchObject({ revokedAt: NOW });
    client.destroy();
  });

  it("refuses a revoke of seq 0, which names no message, in OpenIM's shape", async () => {
    const { handler, client, tables } = await instance();
    const d: Delivered = { kind: 'single', message: sampleMessage(612_002), seq: 0 };

    const answer = await deliver(handler, { ...d, revokedBy: 'u' }, 'revoke');

    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({
      actionCode: 1,
      errCode: 400,
      errDlt: 'seq: must be at least 1',
    });
    expect(await scanAll(engine.client, tables.seqs)).toEqual([]);
    client.destroy();
  });
});

describe('write units per message, by DynamoDB rules', () => {
  /** A receiver whose writes are metered. */
  async function metered() {
    const receiver = await instance();
    const reader = new DynamoDBClient({ ...LOCAL_AWS, endpoint: engine.endpoint });
    const units = meterWrites(receiver.client, reader, {
      [receiver.tables.messages]: MESSAGES_TABLE,
      [receiver.tables.seqs]: SEQS_TABLE,
    });
    return { ...receiver, units, reader };
  }

  it.each([
    ['one-to-one', 'single', 7, 1 + 4],
    ['group', 'group', 6, 1 + 3],
  ] as const)(
    'a %s message costs the same with both callbacks in either order, and completing it writes no index',
    async (_name, kind, both, afterSendOnly) => {
      // GIVEN a metered receiver
      const { handler, units, client, reader, tables } = await metered();
      const at = (n: number): Delivered => ({
        kind,
        message: kind === 'group' ? sampleGroupMessage(n) : sampleMessage(n),
        seq: 1,
      });

      // WHEN a message comes after-send first, another save-DB first, a third after-send alone
      await deliver(handler, at(700_001), 'afterSend');
      const afterSendAlone = units.total;
      await deliver(handler, at(700_001), 'saveDB');
      const completed = units.total;
      await deliver(handler, at(700_002), 'saveDB');
      await deliver(handler, at(700_002), 'afterSend');

      // THEN after-send writes the item and its index entries, completing it with the save-DB
      // callback writes the item and its seq and no index, and the other order costs the same
      expect(afterSendAlone).toBe(afterSendOnly);
      expect(completed - afterSendAlone).toBe(2);
      expect(completed).toBe(both);
      expect(units.total - completed).toBe(both);
      const indexUnits = Object.entries(units.byTarget).filter(([target]) =>
        target.startsWith(`${tables.messages}/`),
      );
      expect(indexUnits.reduce((sum, [, n]) => sum + n, 0)).toBe(2 * (afterSendOnly - 1));
      for (const c of [client, reader]) c.destroy();
    },
  );

  it('a revoke costs its seq, the record and the conversation view: three units', async () => {
    const { handler, units, client, reader } = await metered();
    const d: Delivered = {
      kind: 'single',
      message: sampleMessage(700_003),
      seq: 3,
      revokedBy: 'u',
    };
    await deliver(handler, d, 'afterSend');
    await deliver(handler, d, 'saveDB');
    const before = units.total;

    await deliver(handler, d, 'revoke');

    expect(units.total - before).toBe(3);
    for (const c of [client, reader]) c.destroy();
  });
});
