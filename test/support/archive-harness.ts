/**
 * Receivers on fresh tables in one local engine, the callbacks OpenIM sends for a set of messages,
 * and both tables' whole state: for tests that deliver callbacks in every order, cut a callback's
 * writes short, or interleave reconciles, and compare where the tables end.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { type ArchiveStore, createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { groupConversationId } from '../../lambda/callbacks/after-send-group-msg.ts';
import { singleConversationId } from '../../lambda/callbacks/after-send-single-msg.ts';
import type { MessageFallback } from '../../lambda/message-fallback.ts';
import { createHandler, type ReceiverHandler } from '../../lambda/receiver.ts';
import { sdkDeadline } from '../../lambda/sdk-deadline.ts';
import type { ArchiveTableNames } from '../../lambda/table-schema.ts';
import { ensureArchiveTables, LOCAL_AWS, type LocalEngine } from '../../local/local-engine.ts';
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
} from './openim-wire.ts';
import { freshTableNames, post, quietLogger, scanAll } from './test-receiver.ts';

/** The fixed clock of every harness receiver, so that whole states compare equal. */
export const NOW = 1_764_000_000_000;

/** The writes a client may still send before every later one fails, as if the Lambda died. */
export interface WriteBudget {
  /** Writes left; `Infinity` lets every write through. */
  left: number;
}

/** Thrown for a write past the budget: the engine "failed" there. */
export class CutWrite extends Error {
  override readonly name = 'CutWrite';
}

/** A receiver on the harness tables: its own client (as one Lambda instance) and store. */
export interface HarnessInstance {
  readonly tables: ArchiveTableNames;
  readonly client: DynamoDBClient;
  readonly store: ArchiveStore;
  readonly handler: ReceiverHandler;
  /** Writes this instance may still send; set `left` to cut the next callback short. */
  readonly budget: WriteBudget;
}

/**
 * A receiver on `tables` (new ones if unset) with a fixed clock. With `jitterMs`, each request
 * waits up to that long before it is sent, as network and Lambda scheduling make the requests of
 * two instances interleave every which way.
 */
export async function harnessInstance(
  engine: LocalEngine,
  options: { tables?: ArchiveTableNames; jitterMs?: number; fallback?: MessageFallback } = {},
): Promise<HarnessInstance> {
  const tables = options.tables ?? freshTableNames();
  if (!options.tables) await ensureArchiveTables(engine.client, tables);
  const client = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: engine.endpoint,
    ...sdkDeadline(5_000),
  });
  const jitterMs = options.jitterMs ?? 0;
  const budget: WriteBudget = { left: Number.POSITIVE_INFINITY };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (jitterMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs));
      }
      if (context.commandName === 'PutItemCommand' || context.commandName === 'UpdateItemCommand') {
        if (budget.left <= 0) throw new CutWrite('the engine failed here');
        budget.left -= 1;
      }
      return next(args);
    },
    { step: 'initialize', name: 'harness' },
  );
  const store = createDynamoArchiveStore({ client, tables, deadlineMs: 5_000, now: () => NOW });
  const handler = createHandler({
    store,
    fallback: options.fallback,
    logger: quietLogger(),
    now: () => NOW,
  });
  return { tables, client, store, handler, budget };
}

/** A message in one of the kinds of conversation, with its real seq and maybe a revoke. */
export interface Delivered {
  readonly kind: 'single' | 'group';
  readonly message: OpenImMessage | OpenImGroupMessage;
  /** The message as the save-DB callback has it, when a field differs from the after-send's. */
  readonly saved?: OpenImMessage | OpenImGroupMessage;
  /** Fields a newer OpenIM adds to the after-send body. */
  readonly afterSendExtra?: Record<string, unknown>;
  /** Fields a newer OpenIM adds to the save-DB body. */
  readonly saveDbExtra?: Record<string, unknown>;
  readonly seq: number;
  readonly revokedBy?: string;
}

/** Its conversation, as OpenIM names it. */
export function conversationOf({ kind, message }: Delivered): string {
  return kind === 'group'
    ? groupConversationId(message.sessionType, (message as OpenImGroupMessage).groupID)
    : singleConversationId(message.sessionType, message.sendID, (message as OpenImMessage).recvID);
}

/** The callbacks OpenIM sends for a message: after-send, save-DB and, if revoked, the revoke. */
export type CallbackKind = 'afterSend' | 'saveDB' | 'revoke';

/** The callbacks of a message, in the order OpenIM usually sends them. */
export function callbacksOf(d: Delivered): CallbackKind[] {
  return d.revokedBy ? ['afterSend', 'saveDB', 'revoke'] : ['afterSend', 'saveDB'];
}

/** Posts one callback of a message exactly as OpenIM `main` puts it on the wire. */
export function deliver(handler: ReceiverHandler, d: Delivered, callback: CallbackKind) {
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
        encodeSaveDbBody(d.saved ?? d.message, d.seq, d.saveDbExtra),
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
export async function archiveState(engine: LocalEngine, tables: ArchiveTableNames) {
  const byKey = (items: Record<string, unknown>[], key: (i: Record<string, unknown>) => string) =>
    items.sort((a, b) => key(a).localeCompare(key(b)));
  return {
    messages: byKey(await scanAll(engine.client, tables.messages), (i) => String(i.serverMsgID)),
    seqs: byKey(await scanAll(engine.client, tables.seqs), (i) => `${i.conversationID}#${i.seq}`),
  };
}

/** Fields a newer OpenIM might add to one callback, overlapping the other's or not. */
const extraArb = fc.option(
  fc.dictionary(
    fc.constantFrom('isRead', 'attachedInfo', 'shared', 'botPlatform'),
    fc.jsonValue(),
    {
      minKeys: 1,
      maxKeys: 3,
    },
  ),
  { nil: undefined },
);

/** A few messages in one-to-one chats and groups, each with its seq, some revoked. */
export const deliveredArb: fc.Arbitrary<Delivered[]> = fc
  .array(
    fc.record({
      group: fc.boolean(),
      changed: fc.boolean(),
      revoked: fc.boolean(),
      afterSendExtra: extraArb,
      saveDbExtra: extraArb,
    }),
    { minLength: 1, maxLength: 5 },
  )
  .chain((shapes) =>
    fc.integer({ min: 0, max: 1_000_000 }).map((base) =>
      shapes.map(({ group, changed, revoked, afterSendExtra, saveDbExtra }, i): Delivered => {
        const n = base * 10 + i;
        const message = group ? sampleGroupMessage(n) : sampleMessage(n);
        return {
          kind: group ? 'group' : 'single',
          message,
          // A save-DB value may differ from the after-send's: it wins, in either order.
          ...(changed ? { saved: { ...message, ex: `after save ${n}` } } : {}),
          ...(afterSendExtra ? { afterSendExtra } : {}),
          ...(saveDbExtra ? { saveDbExtra } : {}),
          seq: 1 + i,
          ...(revoked ? { revokedBy: message.sendID } : {}),
        };
      }),
    ),
  );

/**
 * The unknown fields a message's record must hold: both callbacks', the save-DB's winning, as JSON
 * carries them (a record keeps them as JSON text, where -0 is written 0, the same number).
 */
export function expectedUnknownFields(d: Delivered): Record<string, unknown> | undefined {
  if (!d.afterSendExtra && !d.saveDbExtra) return undefined;
  return JSON.parse(JSON.stringify({ ...d.afterSendExtra, ...d.saveDbExtra }));
}

/** Every callback of every message, some delivered twice, in any order, a few at a time. */
export const deliveriesArb = deliveredArb.chain((delivered) => {
  const all = delivered.flatMap((d) => callbacksOf(d).map((callback) => ({ d, callback })));
  return fc
    .tuple(
      fc.shuffledSubarray([...all, ...all], { minLength: all.length, maxLength: all.length * 2 }),
      fc.integer({ min: 1, max: 4 }),
    )
    .filter(([order]) => all.every((one) => order.includes(one)))
    .map(([order, parallel]) => ({ delivered, order, parallel }));
});
