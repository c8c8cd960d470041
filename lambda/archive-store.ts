/**
 * The storage adapter: what each kind of callback, and a reconcile against OpenIM's API, does to
 * the two tables of `table-schema.ts`. It takes its DynamoDB client as a parameter, so tests point
 * it at the local engine without mocking.
 *
 * Every operation is idempotent and the final tables depend only on what arrived, never on the
 * order or on repeats, so a repeated delivery, a replay from the fallback, a reconcile, or two
 * Lambda instances racing never store anything twice or lose a mark:
 *
 * - **A message's fields** are the save-DB callback's if it came, else the after-send callback's,
 *   else what a reconcile read from OpenIM (marked `recoveredAt` until a callback brings them).
 *   Unknown fields are the union of both callbacks' (the save-DB value wins), `receivedAt` is when
 *   the first of them arrived, and `seq` the real one once the save-DB callback or a reconcile
 *   brought it.
 * - **A seq belongs to the first message linked to it.** Another message that claims it later is
 *   kept as it came, is not linked, and no revoke of that seq touches it: it is recorded as a
 *   conflict on the seq item and in the day's conflict log, and reported to the caller.
 * - **A revoke** is kept on its seq and marked on the message linked to it, with the earliest
 *   revoke time known (OpenIM's own, from a reconcile, is earlier than the callback's arrival).
 *
 * A callback takes up to three writes in turn (the message, its seq link, a revoke mark). If a
 * Lambda dies between them, the next callback, replay or reconcile that touches the message or its
 * seq finishes the work: each operation checks what the others should have written.
 */
import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { convertToAttr, marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  dayShardOf,
  type MessageRecord,
  mergeUnknownFields,
  type RecordValue,
} from './message-record.ts';
import { within } from './sdk-deadline.ts';
import {
  type ArchiveTableNames,
  conflictLogKey,
  DerivedAttribute,
  MESSAGE_KEY,
  SeqAttribute,
} from './table-schema.ts';
import { UpdateExpression } from './update-expression.ts';

/** A revoke: which message (by conversation and seq), who revoked it and when. */
export interface RevokeRecord {
  readonly [field: string]: RecordValue | undefined;
  readonly conversationID: string;
  readonly seq: number;
  readonly revokedBy: string;
  readonly revokedAt: number;
  readonly expiresAt?: number;
}

/** What a callback writes. */
export type ArchiveRecord = MessageRecord | RevokeRecord;

/** Whether a write changed the archive, or found it already done (a repeat). */
export type StoreOutcome = 'stored' | 'duplicate';

/** A seq that a second message claimed: the archive keeps it linked to the first. */
export interface SeqConflict {
  readonly conversationID: string;
  readonly seq: number;
  /** The message the seq stays linked to. */
  readonly linkedMsgID: string;
  /** The message that claimed it too. */
  readonly claimedBy: string;
}

/** What one operation did. */
export interface StoreResult {
  readonly outcome: StoreOutcome;
  /** Set when the message's seq belongs to another message. */
  readonly seqConflict?: SeqConflict;
}

/** What a reconcile's write of one message did. */
export interface RecoverResult extends StoreResult {
  /** The message was missing and is now stored from OpenIM's copy. */
  readonly recovered: boolean;
  /** An archived message got its real seq, or its seq got linked to it. */
  readonly linked: boolean;
}

/** What a revoke did, for a reconcile's counts. */
export interface RevokeResult extends StoreResult {
  /** A message that had no revoke mark has one now. */
  readonly marked: boolean;
}

/** What the callbacks, and a reconcile, do to the archive. */
export interface ArchiveStore {
  /**
   * After-send: stores the message unless a record with its `serverMsgID` exists. Otherwise it
   * adds the unknown fields only it carried, takes over a record only a reconcile made, and
   * finishes the seq link and revoke mark that a save-DB callback may have left undone.
   */
  insertMessage(record: MessageRecord): Promise<StoreResult>;
  /**
   * Save-DB: stores the message, or makes the existing record this one in every field of
   * `fields` and every derived attribute, keeping when it was first received, any revoke mark and
   * the unknown fields only the after-send callback carried. Then links the seq to the message
   * and applies a revoke that came first.
   */
  saveMessage(record: MessageRecord, fields: ReadonlySet<string>): Promise<StoreResult>;
  /** Revoke: kept on the seq, and marked on the message linked to the seq. */
  recordRevoke(record: RevokeRecord): Promise<RevokeResult>;
  /**
   * Reconcile: stores a message OpenIM has and the archive lacks (marked `recoveredAt`), or gives
   * an archived message its real seq; then links the seq and applies a revoke it holds.
   * `record` is shaped as the save-DB callback would have made it.
   */
  recoverMessage(record: MessageRecord): Promise<RecoverResult>;
  /**
   * Reconcile: gives an archived message its real seq if it has none (nothing else of it
   * changes), then links the seq and applies a revoke it holds. `undefined` if the archive has
   * no such message.
   */
  linkMessage(message: SeqOfMessage): Promise<RecoverResult | undefined>;
  /**
   * Reconcile: notes that OpenIM holds no chat message at this seq (a notification, or a
   * deleted slot), so that it is no gap.
   */
  recordSeqKind(entry: SeqKindRecord): Promise<StoreOutcome>;
}

/** Which seq of which conversation OpenIM gave a message. */
export interface SeqOfMessage {
  readonly serverMsgID: string;
  readonly conversationID: string;
  readonly seq: number;
}

/** A seq that holds no chat message in OpenIM, as a reconcile found it. */
export interface SeqKindRecord {
  readonly conversationID: string;
  readonly seq: number;
  /** A value of `OpenImKind`. */
  readonly kind: string;
  /** A notification's content type. */
  readonly contentType?: number | undefined;
  readonly expiresAt?: number | undefined;
}

/** Options for {@link createDynamoArchiveStore}. */
export interface DynamoArchiveStoreOptions {
  /** The client to send requests with, built once by the caller (see `sdkDeadline`). */
  readonly client: DynamoDBClient;
  /** The two tables' names. */
  readonly tables: ArchiveTableNames;
  /**
   * Time for one operation's requests, retries included: a callback takes up to three writes in
   * turn, each under the client's own deadline.
   * @default undefined (each request's own deadline only)
   */
  readonly deadlineMs?: number | undefined;
  /**
   * The clock for `recoveredAt`, in ms since the epoch.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** The condition that makes a put idempotent: only the first write of a `serverMsgID` lands. */
export const FIRST_WRITE_ONLY = {
  ConditionExpression: 'attribute_not_exists(#id)',
  ExpressionAttributeNames: { '#id': MESSAGE_KEY.name },
} as const;

/** Attributes a record keeps from its first write: when the message first arrived. */
const KEPT_FROM_FIRST = new Set<string>([DerivedAttribute.receivedAt, DerivedAttribute.expiresAt]);

/** Attributes the receiver derives from the fields, replaced with them. */
const DERIVED_MESSAGE_ATTRIBUTES = [
  DerivedAttribute.conversationId,
  DerivedAttribute.sentAt,
  DerivedAttribute.dayShard,
];

/**
 * What a callback never takes from a record a reconcile made: the key, the real seq, when the
 * message first arrived, its revoke mark and the unknown fields (merged).
 */
const KEPT_ON_TAKEOVER = new Set<string>([
  MESSAGE_KEY.name,
  'seq',
  ...KEPT_FROM_FIRST,
  DerivedAttribute.revokedBy,
  DerivedAttribute.revokedAt,
  DerivedAttribute.unknownFields,
  DerivedAttribute.recoveredAt,
]);

/** How often an optimistic read-modify-write is tried before it gives up. */
const MAX_RACES = 5;

/** Whether a write failed only because its condition did not hold. */
function conditionFailed(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

/**
 * A record as an item: what `marshall(record, { removeUndefinedValues: true })` returns. Records
 * hold strings, numbers, null and lists of strings, written here directly; `marshall` inspects
 * every value's constructor first, the largest cost of an after-send callback's own code (see
 * BENCHMARKS.md). Any other value, or a number `marshall` refuses, takes `marshall`'s own path.
 */
export function recordItem(
  record: Readonly<Record<string, unknown>>,
): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const name in record) {
    const value = record[name];
    if (value === undefined || typeof value === 'function') continue;
    if (typeof value === 'string') item[name] = { S: value };
    else if (typeof value === 'number' && Number.isSafeInteger(value)) {
      item[name] = { N: String(value) };
    } else if (value === null) item[name] = { NULL: true };
    else if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) {
      item[name] = { L: value.map((entry: string) => ({ S: entry })) };
    } else item[name] = convertToAttr(value, { removeUndefinedValues: true });
  }
  return item;
}

/** Plain values of an item the engine returned, if any. */
function plain(item: Record<string, AttributeValue> | undefined): Record<string, unknown> {
  return item ? unmarshall(item) : {};
}

/** A number for a conflict's log item, the same for every report of that conflict. */
function conflictLogSeq(conversationID: string, seq: number, claimedBy: string): number {
  return createHash('sha256')
    .update(`${conversationID}\u0000${seq}\u0000${claimedBy}`)
    .digest()
    .readUIntBE(0, 6);
}

/** A message record's facts the seq step needs. */
interface LinkedMessage {
  readonly serverMsgID: string;
  readonly conversationID: string;
  readonly seq: number;
  readonly sentAt: number;
  /** Its revoke mark's time, if it has one. */
  readonly revokedAt?: number | undefined;
  readonly expiresAt?: number | undefined;
}

/** What the seq step did. */
interface SeqStep {
  readonly linked: boolean;
  readonly marked: boolean;
  readonly seqConflict?: SeqConflict;
}

/** An {@link ArchiveStore} on the DynamoDB tables defined by `table-schema.ts`. */
export function createDynamoArchiveStore({
  client,
  tables,
  deadlineMs,
  now = Date.now,
}: DynamoArchiveStoreOptions): ArchiveStore {
  const timed = <T>(work: Promise<T>) =>
    deadlineMs === undefined ? work : within(deadlineMs, work);

  /**
   * Updates an item if `condition` holds. Resolves with the values `returnValues` asks for, `{}`
   * when it asks none, and `undefined` when the condition did not hold.
   */
  const updateIf = async (
    tableName: string,
    key: Record<string, unknown>,
    update: UpdateExpression,
    condition: string | undefined,
    returnValues: 'NONE' | 'UPDATED_OLD' | 'ALL_OLD' = 'NONE',
  ): Promise<Record<string, unknown> | undefined> => {
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall(key),
          ...update.toInput(),
          ...(condition === undefined ? {} : { ConditionExpression: condition }),
          ReturnValues: returnValues,
        }),
      );
      return plain(Attributes);
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  };

  const updateMessageIf = (
    serverMsgID: string,
    update: UpdateExpression,
    condition: string,
    returnValues?: 'NONE' | 'UPDATED_OLD',
  ) =>
    updateIf(tables.messages, { [MESSAGE_KEY.name]: serverMsgID }, update, condition, returnValues);

  /** An item, read consistently: what every write before this one left. */
  const read = async (
    tableName: string,
    key: Record<string, unknown>,
  ): Promise<Record<string, unknown> | undefined> => {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return Item ? unmarshall(Item) : undefined;
  };
  const readMessage = (serverMsgID: string) =>
    read(tables.messages, { [MESSAGE_KEY.name]: serverMsgID });
  const readSeq = (conversationID: string, seq: number) =>
    read(tables.seqs, { conversationID, seq });

  /**
   * Marks the message revoked unless it holds an earlier mark; never creates a record. Resolves
   * with whether it changed the record, and whether the record had no mark before.
   */
  const markRevoked = async (
    serverMsgID: string,
    revokedBy: unknown,
    revokedAt: unknown,
  ): Promise<{ changed: boolean; first: boolean }> => {
    const update = new UpdateExpression()
      .set(DerivedAttribute.revokedBy, revokedBy)
      .set(DerivedAttribute.revokedAt, revokedAt);
    const at = update.name(DerivedAttribute.revokedAt);
    const before = await updateMessageIf(
      serverMsgID,
      update,
      `attribute_exists(${update.name(MESSAGE_KEY.name)}) AND ` +
        `(attribute_not_exists(${at}) OR ${at} > ${update.value(revokedAt)})`,
      'UPDATED_OLD',
    );
    return {
      changed: before !== undefined,
      first: before !== undefined && before[DerivedAttribute.revokedAt] === undefined,
    };
  };

  /**
   * Notes that `claimedBy` also claimed a linked seq: on the seq item, and in the conflict log of
   * the claiming message's day. Both writes are idempotent.
   */
  const recordConflict = async (
    message: LinkedMessage,
    linkedMsgID: string,
  ): Promise<SeqConflict> => {
    const { conversationID, seq, serverMsgID: claimedBy } = message;
    await updateIf(
      tables.seqs,
      { conversationID, seq },
      new UpdateExpression().addToSet(SeqAttribute.conflictingMsgIDs, [claimedBy]),
      undefined,
    );
    await client.send(
      new PutItemCommand({
        TableName: tables.seqs,
        Item: marshall(
          {
            conversationID: conflictLogKey(dayShardOf(message.sentAt, claimedBy)),
            seq: conflictLogSeq(conversationID, seq, claimedBy),
            conflictConversationID: conversationID,
            conflictSeq: seq,
            [MESSAGE_KEY.name]: claimedBy,
            linkedMsgID,
            [DerivedAttribute.sentAt]: message.sentAt,
            [DerivedAttribute.expiresAt]: message.expiresAt,
          },
          { removeUndefinedValues: true },
        ),
      }),
    );
    return { conversationID, seq, linkedMsgID, claimedBy };
  };

  /**
   * Links the seq to the message unless another message holds it, then applies the revoke the seq
   * item held. The link is one write that also returns what the item held, so that a revoke
   * recorded at the same moment is seen by one side or the other, never by neither.
   */
  const linkSeq = async (message: LinkedMessage): Promise<SeqStep> => {
    const { conversationID, seq, serverMsgID } = message;
    const update = new UpdateExpression().set(MESSAGE_KEY.name, serverMsgID);
    if (message.expiresAt !== undefined) {
      update.set(DerivedAttribute.expiresAt, message.expiresAt, true);
    }
    const id = update.name(MESSAGE_KEY.name);
    const before = await updateIf(
      tables.seqs,
      { conversationID, seq },
      update,
      `attribute_not_exists(${id}) OR ${id} = ${update.value(serverMsgID)}`,
      'ALL_OLD',
    );
    if (before === undefined) {
      const item = await readSeq(conversationID, seq);
      return settleSeq(message, item);
    }
    const revokedAt = before[DerivedAttribute.revokedAt];
    const mark =
      revokedAt !== undefined
        ? await markRevoked(serverMsgID, before[DerivedAttribute.revokedBy], revokedAt)
        : { changed: false };
    return { linked: before[MESSAGE_KEY.name] === undefined, marked: mark.changed };
  };

  /**
   * Finishes the seq step for a stored message with a real seq, given its seq item as read:
   * links it if nobody holds the seq, marks the seq's revoke if the message lacks it, and records
   * a conflict if another message holds the seq. Writes nothing when all is done already.
   */
  const settleSeq = async (
    message: LinkedMessage,
    item: Record<string, unknown> | undefined,
  ): Promise<SeqStep> => {
    const holder = item?.[MESSAGE_KEY.name];
    if (holder === undefined) return linkSeq(message);
    if (holder !== message.serverMsgID) {
      // Reported once, when first recorded: a repeated callback is the same conflict.
      const known = item?.[SeqAttribute.conflictingMsgIDs] as Set<string> | undefined;
      if (known?.has(message.serverMsgID)) return { linked: false, marked: false };
      const seqConflict = await recordConflict(message, String(holder));
      return { linked: false, marked: false, seqConflict };
    }
    const revokedAt = item?.[DerivedAttribute.revokedAt] as number | undefined;
    const unmarked =
      revokedAt !== undefined && (message.revokedAt === undefined || message.revokedAt > revokedAt);
    const mark = unmarked
      ? await markRevoked(message.serverMsgID, item?.[DerivedAttribute.revokedBy], revokedAt)
      : { changed: false };
    return { linked: false, marked: mark.changed };
  };

  /** The seq step's facts about a stored record. */
  const linkedMessage = (record: Record<string, unknown>): LinkedMessage => ({
    serverMsgID: String(record[MESSAGE_KEY.name]),
    conversationID: String(record[DerivedAttribute.conversationId]),
    seq: Number(record.seq),
    sentAt: Number(record[DerivedAttribute.sentAt]),
    revokedAt: record[DerivedAttribute.revokedAt] as number | undefined,
    expiresAt: record[DerivedAttribute.expiresAt] as number | undefined,
  });

  /**
   * Makes a record's unknown fields the union with `incoming`'s: `incoming` wins where both have a
   * field if `incomingWins`. `current` is the value as last read; a write that raced another is
   * read again and retried. Resolves with whether it changed the record.
   */
  const mergeUnknown = async (
    serverMsgID: string,
    current: unknown,
    incoming: string,
    incomingWins: boolean,
  ): Promise<boolean> => {
    let stored = current as string | undefined;
    for (let race = 0; race < MAX_RACES; race += 1) {
      const merged = incomingWins
        ? mergeUnknownFields(stored, incoming)
        : mergeUnknownFields(incoming, stored);
      if (merged === stored) return false;
      const update = new UpdateExpression().set(DerivedAttribute.unknownFields, merged);
      const field = update.name(DerivedAttribute.unknownFields);
      const condition =
        `attribute_exists(${update.name(MESSAGE_KEY.name)}) AND ` +
        (stored === undefined
          ? `attribute_not_exists(${field})`
          : `${field} = ${update.value(stored)}`);
      if ((await updateMessageIf(serverMsgID, update, condition)) !== undefined) return true;
      const record = await readMessage(serverMsgID);
      if (record === undefined) return false;
      stored = record[DerivedAttribute.unknownFields] as string | undefined;
    }
    throw new Error(`unknownFields of ${serverMsgID} kept changing under ${MAX_RACES} writes`);
  };

  /**
   * An after-send callback's record replaces one that only a reconcile made: its fields win, but
   * the record keeps its seq, when it first arrived and its revoke mark. False if a callback took
   * it over first.
   */
  const takeOver = async (
    existing: Record<string, unknown>,
    record: MessageRecord,
  ): Promise<boolean> => {
    const update = new UpdateExpression();
    for (const [attribute, value] of Object.entries(record)) {
      if (!KEPT_ON_TAKEOVER.has(attribute) && value !== undefined) update.set(attribute, value);
    }
    for (const attribute of Object.keys(existing)) {
      if (!KEPT_ON_TAKEOVER.has(attribute) && record[attribute] === undefined) {
        update.remove(attribute);
      }
    }
    const merged = mergeUnknownFields(
      record.unknownFields,
      existing[DerivedAttribute.unknownFields] as string | undefined,
    );
    if (merged !== undefined) update.set(DerivedAttribute.unknownFields, merged);
    update.remove(DerivedAttribute.recoveredAt);
    const condition = `attribute_exists(${update.name(DerivedAttribute.recoveredAt)})`;
    return (await updateMessageIf(record.serverMsgID, update, condition)) !== undefined;
  };

  /** Puts a record unless one with its `serverMsgID` exists; false if one did. */
  const putFirst = async (record: Record<string, unknown>): Promise<boolean> => {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tables.messages,
          Item: recordItem(record),
          ...FIRST_WRITE_ONLY,
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  };

  /** The result of a callback that changed something if any step did. */
  const resultOf = (changed: boolean, step?: SeqStep): StoreResult => ({
    outcome: changed || step?.linked || step?.marked ? 'stored' : 'duplicate',
    ...(step?.seqConflict ? { seqConflict: step.seqConflict } : {}),
  });

  const store: ArchiveStore = {
    async insertMessage(record) {
      if (await putFirst(record)) return { outcome: 'stored' };
      // Stored already: a repeat, the save-DB callback came first, or a reconcile did.
      const existing = await readMessage(record.serverMsgID);
      if (existing === undefined) return store.insertMessage(record);
      let changed = false;
      if (existing[DerivedAttribute.recoveredAt] !== undefined) {
        changed = await takeOver(existing, record);
        if (!changed) return store.insertMessage(record);
      } else if (record.unknownFields !== undefined) {
        changed = await mergeUnknown(
          record.serverMsgID,
          existing[DerivedAttribute.unknownFields],
          record.unknownFields,
          false,
        );
      }
      // A save-DB callback or a reconcile gave it a seq: finish what they may have left undone.
      const message = linkedMessage(existing);
      if (message.seq === 0) return resultOf(changed);
      return resultOf(
        changed,
        await settleSeq(message, await readSeq(message.conversationID, message.seq)),
      );
    },

    async saveMessage(record, fields) {
      // 1. The message, first: a revoke that sees the seq linked (step 2) must find it stored.
      const update = new UpdateExpression();
      for (const attribute of [...fields, ...DERIVED_MESSAGE_ATTRIBUTES]) {
        if (attribute === MESSAGE_KEY.name) continue;
        const value = record[attribute];
        if (value === undefined) update.remove(attribute);
        else update.set(attribute, value);
      }
      for (const attribute of KEPT_FROM_FIRST) {
        if (record[attribute] !== undefined) update.set(attribute, record[attribute], true);
      }
      // Unknown fields: an after-send's stay, merged with these below.
      if (record.unknownFields !== undefined) {
        update.set(DerivedAttribute.unknownFields, record.unknownFields, true);
      }
      update.remove(DerivedAttribute.recoveredAt);
      // Unless the record holds this very callback already (a repeat): the after-send callback's
      // fields, or a reconcile's, are replaced; a late after-send never gets here at all.
      const command = update.name('callbackCommand');
      const condition = [
        `attribute_not_exists(${update.name(MESSAGE_KEY.name)})`,
        `attribute_not_exists(${command})`,
        `${command} <> ${update.value(record.callbackCommand)}`,
        `${update.name('seq')} <> ${update.value(record.seq)}`,
        `attribute_exists(${update.name(DerivedAttribute.recoveredAt)})`,
      ].join(' OR ');
      const before = await updateMessageIf(
        record.serverMsgID,
        update,
        condition,
        record.unknownFields === undefined ? 'NONE' : 'UPDATED_OLD',
      );
      let changed = before !== undefined;
      if (record.unknownFields !== undefined) {
        // What step 1 left: the after-send's fields if it found some, else these. A repeat reads
        // them, in case the first delivery stopped before this merge.
        const current = before
          ? (before[DerivedAttribute.unknownFields] ?? record.unknownFields)
          : (await readMessage(record.serverMsgID))?.[DerivedAttribute.unknownFields];
        changed =
          (await mergeUnknown(record.serverMsgID, current, record.unknownFields, true)) || changed;
      }
      // 2 and 3. Link the seq and apply a revoke that came first. Seq 0 is no seq.
      if (record.seq === 0) return resultOf(changed);
      return resultOf(changed, await linkSeq(linkedMessage(record)));
    },

    async recordRevoke(record) {
      const { conversationID, seq, revokedBy, revokedAt } = record;
      const update = new UpdateExpression()
        .set(DerivedAttribute.revokedBy, revokedBy)
        .set(DerivedAttribute.revokedAt, revokedAt);
      if (record.expiresAt !== undefined) {
        update.set(DerivedAttribute.expiresAt, record.expiresAt, true);
      }
      const at = update.name(DerivedAttribute.revokedAt);
      // The earliest revoke time wins, whatever order the callback and a reconcile come in.
      const before = await updateIf(
        tables.seqs,
        { conversationID, seq },
        update,
        `attribute_not_exists(${at}) OR ${at} > ${update.value(revokedAt)}`,
        'ALL_OLD',
      );
      // An earlier revoke is there: its mark may still be missing on the message.
      const item = before ?? (await readSeq(conversationID, seq)) ?? {};
      const holder = item[MESSAGE_KEY.name];
      const mark =
        typeof holder === 'string'
          ? await markRevoked(
              holder,
              before ? revokedBy : item[DerivedAttribute.revokedBy],
              before ? revokedAt : item[DerivedAttribute.revokedAt],
            )
          : { changed: false, first: false };
      return {
        outcome: before !== undefined || mark.changed ? 'stored' : 'duplicate',
        marked: mark.first,
      };
    },

    async recoverMessage(record) {
      const recovered = await putFirst({ ...record, [DerivedAttribute.recoveredAt]: now() });
      if (recovered) {
        const step = await linkSeq(linkedMessage(record));
        return { ...resultOf(true, step), recovered: true, linked: false };
      }
      // Archived already (a callback came first, or another reconcile): only its seq is missing.
      const linked = await store.linkMessage(record);
      return linked ?? store.recoverMessage(record);
    },

    async linkMessage({ serverMsgID, conversationID, seq }) {
      const existing = await readMessage(serverMsgID);
      if (existing === undefined) return undefined;
      let message = linkedMessage(existing);
      let seqSet = false;
      if (message.seq === 0) {
        // An after-send record: it gets its real seq, nothing else.
        const update = new UpdateExpression().set('seq', seq);
        const condition = `${update.name('seq')} = ${update.value(0)}`;
        seqSet = (await updateMessageIf(serverMsgID, update, condition)) !== undefined;
        // Someone gave it a seq meanwhile: start again from what they wrote.
        if (!seqSet) return store.linkMessage({ serverMsgID, conversationID, seq });
      }
      // The seq to settle is OpenIM's: the one just set, or, for a record that holds another (a
      // callback from another OpenIM at that seq), OpenIM's linked to it too, so that it is no gap;
      // the record keeps its own.
      if (message.seq !== seq) message = { ...message, conversationID, seq };
      const step = await settleSeq(message, await readSeq(message.conversationID, message.seq));
      return { ...resultOf(seqSet, step), recovered: false, linked: seqSet || step.linked };
    },

    async recordSeqKind({ conversationID, seq, kind, contentType, expiresAt }) {
      const update = new UpdateExpression().set(SeqAttribute.openimKind, kind);
      if (contentType !== undefined) update.set(SeqAttribute.contentType, contentType);
      if (expiresAt !== undefined) update.set(DerivedAttribute.expiresAt, expiresAt, true);
      const kindName = update.name(SeqAttribute.openimKind);
      const done = await updateIf(
        tables.seqs,
        { conversationID, seq },
        update,
        `attribute_not_exists(${kindName}) OR ${kindName} <> ${update.value(kind)}`,
      );
      return done === undefined ? 'duplicate' : 'stored';
    },
  };
  return {
    insertMessage: (record) => timed(store.insertMessage(record)),
    saveMessage: (record, fields) => timed(store.saveMessage(record, fields)),
    recordRevoke: (record) => timed(store.recordRevoke(record)),
    recoverMessage: (record) => timed(store.recoverMessage(record)),
    linkMessage: (message) => timed(store.linkMessage(message)),
    recordSeqKind: (entry) => timed(store.recordSeqKind(entry)),
  };
}
