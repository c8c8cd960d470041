import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { groupConversationId } from '../../lambda/callbacks/after-send-group-msg.ts';
import { singleConversationId } from '../../lambda/callbacks/after-send-single-msg.ts';
import { createHandler, type ReceiverHandler } from '../../lambda/receiver.ts';
import { sdkDeadline } from '../../lambda/sdk-deadline.ts';
import { type ArchiveTableNames, MESSAGES_TABLE, SEQS_TABLE } from '../../lambda/table-schema.ts';
import {
  ensureArchiveTables,
  LOCAL_AWS,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';
import {
  COMMANDS,
  encodeBody,
  encodeGroupBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  mainRequestPath,
  type OpenImGroupMessage,
  type OpenImMessage,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import { singleRecordOf } from '../support/records.ts';
import { inParallel } from '../support/send.ts';
import {
  freshTableNames,
  messageItem,
  post,
  quietLogger,
  SUCCESS,
  scanAll,
} from '../support/test-receiver.ts';
import { meterWrites } from '../support/write-units.ts';

const NOW = 1_764_000_000_000;

let engine: LocalEngine;
beforeAll(async () => {
  engine = await startLocalEngine();
});
afterAll(() => engine.close());

/**
 * A receiver on new tables, on its own client (as one Lambda instance), with a fixed clock. With
 * `jitterMs`, each request waits up to that long before it is sent, as network and Lambda
 * scheduling make the requests of two instances interleave every which way.
 */
async function instance(tables?: ArchiveTableNames, jitterMs = 0) {
  const names = tables ?? freshTableNames();
  if (!tables) await ensureArchiveTables(engine.client, names);
  const client = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: engine.endpoint,
    ...sdkDeadline(5_000),
  });
  if (jitterMs > 0) {
    client.middlewareStack.add(
      (next) => async (args) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs));
        return next(args);
      },
      { step: 'initialize', name: 'jitter' },
    );
  }
  const store = createDynamoArchiveStore({ client, tables: names, deadlineMs: 5_000 });
  const handler = createHandler({ store, logger: quietLogger(), now: () => NOW });
  return { tables: names, client, store, handler };
}

/** A message in one of the kinds of conversation, with its real seq and maybe a revoke. */
interface Delivered {
  readonly kind: 'single' | 'group';
  readonly message: OpenImMessage | OpenImGroupMessage;
  /** The message as the save-DB callback has it, when a field differs from the after-send's. */
  readonly saved?: OpenImMessage | OpenImGroupMessage;
  /** Fields a newer OpenIM adds to the after-send body alone. */
  readonly afterSendExtra?: Record<string, unknown>;
  readonly seq: number;
  readonly revokedBy?: string;
}

/** Its conversation, as OpenIM names it. */
function conversationOf({ kind, message }: Delivered): string {
  return kind === 'group'
    ? groupConversationId(message.sessionType, (message as OpenImGroupMessage).groupID)
    : singleConversationId(message.sessionType, message.sendID, (message as OpenImMessage).recvID);
}

/** The callbacks OpenIM sends for a message: after-send, save-DB and, if revoked, the revoke. */
type Callback = 'afterSend' | 'saveDB' | 'revoke';

/** Posts one callback of a message exactly as OpenIM `main` puts it on the wire. */
async function deliver(handler: ReceiverHandler, d: Delivered, callback: Callback) {
  const keys = d.message as { sendID: string; recvID?: string; groupID?: string };
  switch (callback) {
    case 'afterSend':
      return d.kind === 'group'
        ? post(
            handler,
            mainRequestPath(COMMANDS.group, keys),
            encodeGroupBody(d.message as OpenImGroupMessage, 'main', d.afterSendExtra),
          )
        : post(
            handler,
            mainRequestPath(COMMANDS.single, keys),
            encodeBody(d.message as OpenImMessage, 'main', d.afterSendExtra),
          );
    case 'saveDB':
      return post(
        handler,
        mainRequestPath(COMMANDS.saveDB, keys),
        encodeSaveDbBody(d.saved ?? d.message, d.seq),
      );
    case 'revoke':
      return post(
        handler,
        `/${COMMANDS.revoke}`,
        encodeRevokeBody({
          conversationID: conversationOf(d),
          seq: d.seq,
          userID: d.revokedBy ?? '',
        }),
      );
  }
}

/** Both tables' items, in key order, for comparing whole states. */
async function state(tables: ArchiveTableNames) {
  const byKey = (items: Record<string, unknown>[], key: (i: Record<string, unknown>) => string) =>
    items.sort((a, b) => key(a).localeCompare(key(b)));
  return {
    messages: byKey(await scanAll(engine.client, tables.messages), (i) => String(i.serverMsgID)),
    seqs: byKey(await scanAll(engine.client, tables.seqs), (i) => `${i.conversationID}#${i.seq}`),
  };
}

/** A few messages in one-to-one chats and groups, each with its seq, some revoked. */
const deliveredArb: fc.Arbitrary<Delivered[]> = fc
  .array(
    fc.record({
      group: fc.boolean(),
      changed: fc.boolean(),
      revoked: fc.boolean(),
      extra: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .chain((shapes) =>
    fc.integer({ min: 0, max: 1_000_000 }).map((base) =>
      shapes.map(({ group, changed, revoked, extra }, i): Delivered => {
        const n = base * 10 + i;
        const message = group ? sampleGroupMessage(n) : sampleMessage(n);
        return {
          kind: group ? 'group' : 'single',
          message,
          // A save-DB value may differ from the after-send's: it wins, in either order.
          ...(changed ? { saved: { ...message, ex: `after save ${n}` } } : {}),
          ...(extra ? { afterSendExtra: { isRead: false } } : {}),
          seq: 1 + i,
          ...(revoked ? { revokedBy: message.sendID } : {}),
        };
      }),
    ),
  );

/** Every callback of every message, some delivered twice, in any order. */
const deliveriesArb = deliveredArb.chain((delivered) => {
  const all = delivered.flatMap((d) =>
    (['afterSend', 'saveDB', 'revoke'] as const)
      .filter((callback) => callback !== 'revoke' || d.revokedBy)
      .map((callback) => ({ d, callback })),
  );
  return fc
    .tuple(
      fc.shuffledSubarray([...all, ...all], { minLength: all.length, maxLength: all.length * 2 }),
      fc.integer({ min: 1, max: 4 }),
    )
    .filter(([order]) => all.every((one) => order.includes(one)))
    .map(([order, parallel]) => ({ delivered, order, parallel }));
});

describe('the archive store', () => {
  it('stores an after-send message once and reports a repeat as a duplicate', async () => {
    const { store, client } = await instance();
    expect(await store.insertMessage(singleRecordOf(1))).toBe('stored');
    expect(await store.insertMessage(singleRecordOf(1))).toBe('duplicate');
    client.destroy();
  });

  it('ends in the same tables whatever order and however often the callbacks arrive', async () => {
    await fc.assert(
      fc.asyncProperty(deliveriesArb, async ({ delivered, order, parallel }) => {
        // GIVEN the state that the callbacks leave in their natural order
        const natural = await instance();
        for (const d of delivered) {
          for (const callback of ['afterSend', 'saveDB', 'revoke'] as const) {
            if (callback === 'revoke' && !d.revokedBy) continue;
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
        // the save-DB values, every revoke marked
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
          // Fields only the after-send callback carried are kept, whichever came first
          if (d.afterSendExtra) {
            expect(JSON.parse(String(record?.unknownFields))).toEqual(d.afterSendExtra);
          } else expect(record).not.toHaveProperty('unknownFields');
        }
        for (const { client } of [natural, shuffled]) client.destroy();
      }),
      { numRuns: 25 },
    );
  }, 120_000);

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
