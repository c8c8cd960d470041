/**
 * Turns a validated message callback into the item stored in DynamoDB, and measures it. Pure
 * functions only; the callback modules say which fields they know and which conversation a message
 * is in.
 *
 * Every OpenIM field keeps its own name and type. The receiver adds `conversationID`, `sentAt`,
 * `receivedAt` and `dayShard` (see `table-schema.ts`), plus `unknownFields` when a newer OpenIM
 * sends fields this version does not know.
 */

import { hash } from 'node:crypto';
import { type CommonMessage, MAX_ID_BYTES } from './message-fields.ts';
import {
  DAY_SHARDS,
  DerivedAttribute,
  dayShardKey,
  indexKeyAttributes,
  utcDay,
} from './table-schema.ts';

/** DynamoDB's maximum item size, in bytes. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** Number of bytes DynamoDB counts for a number, at most: 38 significant digits. */
const MAX_NUMBER_BYTES = 21;

/**
 * The largest message record accepted: an item, less the room a revoke takes when it marks the
 * record later (`revokedBy`, an ID, and `revokedAt`), so that marking it can never fail for size.
 */
export const MAX_RECORD_BYTES =
  MAX_ITEM_BYTES -
  (Buffer.byteLength(DerivedAttribute.revokedBy) +
    MAX_ID_BYTES +
    Buffer.byteLength(DerivedAttribute.revokedAt) +
    MAX_NUMBER_BYTES);

/** A value as it is kept in a record: OpenIM only sends these types. */
export type RecordValue = string | number | null | readonly string[];

/** One stored message: OpenIM's fields under their own names, plus the receiver's attributes. */
export interface MessageRecord {
  readonly [field: string]: RecordValue | undefined;
  readonly serverMsgID: string;
  readonly sendID: string;
  /** One-to-one messages only. */
  readonly recvID?: string;
  /** Group messages only. */
  readonly groupID?: string;
  readonly seq: number;
  readonly conversationID: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly dayShard: string;
  readonly unknownFields?: string;
  readonly expiresAt?: number;
}

/** What the receiver knows beyond the body when it stores a callback. */
export interface RecordContext {
  /** When the callback arrived, in ms since the epoch. */
  readonly receivedAt: number;
  /** Keep the record this many days, then let DynamoDB's TTL delete it. Unset: keep forever. */
  readonly ttlDays?: number | undefined;
}

/** How one callback's message becomes a record. */
export interface MessageShape {
  /** The OpenIM fields of the callback's body, in Go's struct order; others are unknown. */
  readonly knownFields: ReadonlySet<string>;
  /** OpenIM's conversation ID for the message. */
  readonly conversationID: string;
}

/**
 * The `byDay` key of a message: the UTC day it was sent and a shard taken from its ID, so that
 * every delivery of one message lands in the same place.
 */
export function dayShardOf(sentAt: number, serverMsgID: string): string {
  const shard = hash('sha256', serverMsgID, 'buffer').readUInt16BE(0) % DAY_SHARDS;
  return dayShardKey(utcDay(sentAt), shard);
}

/** Index keys: DynamoDB refuses `""` for them, so an empty one is left off the item. */
const INDEX_KEYS = indexKeyAttributes();

/**
 * Builds the item to store. Fields the callback does not know go, as JSON, into `unknownFields`;
 * an index key that is empty is left off, so the message is simply not in that index.
 */
export function toMessageRecord(
  message: CommonMessage,
  { knownFields, conversationID }: MessageShape,
  context: RecordContext,
): MessageRecord {
  // One pass into the record itself: every callback builds one, so no intermediate objects.
  const record: Record<string, RecordValue> = {};
  let unknown: Record<string, unknown> | undefined;
  for (const [field, value] of Object.entries(message)) {
    if (!knownFields.has(field)) {
      unknown ??= {};
      unknown[field] = value;
    } else if (!(value === '' && INDEX_KEYS.has(field))) record[field] = value as RecordValue;
  }
  const sentAt = message.sendTime ?? message.createTime;
  record.serverMsgID = message.serverMsgID;
  record.sendID = message.sendID;
  record.seq = message.seq;
  record[DerivedAttribute.conversationId] = conversationID;
  record[DerivedAttribute.sentAt] = sentAt;
  record[DerivedAttribute.receivedAt] = context.receivedAt;
  record[DerivedAttribute.dayShard] = dayShardOf(sentAt, message.serverMsgID);
  if (unknown) record[DerivedAttribute.unknownFields] = JSON.stringify(unknown);
  const { expiresAt } = expiryOf(context);
  if (expiresAt !== undefined) record[DerivedAttribute.expiresAt] = expiresAt;
  return record as MessageRecord;
}

/**
 * Two callbacks' unknown fields (JSON object texts) as one: every field of both, `over`'s value
 * where both have one; `undefined` when neither has any. The order of `under`'s fields comes
 * first, so the result does not depend on which callback was stored first.
 */
export function mergeUnknownFields(
  under: string | undefined,
  over: string | undefined,
): string | undefined {
  if (under === undefined) return over;
  if (over === undefined) return under;
  return JSON.stringify({ ...JSON.parse(under), ...JSON.parse(over) });
}

/** `expiresAt`, in epoch seconds, when a TTL is configured: `ttlDays` after arrival. */
export function expiryOf({ receivedAt, ttlDays }: RecordContext): { expiresAt?: number } {
  return ttlDays === undefined
    ? {}
    : { [DerivedAttribute.expiresAt]: Math.floor(receivedAt / 1000) + ttlDays * 86_400 };
}

/** Stored size of one value by DynamoDB's rules, rounded up where the rules are approximate. */
function valueBytes(value: RecordValue): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return MAX_NUMBER_BYTES;
  if (value === null) return 1;
  // A list costs 3 bytes, plus 1 byte and the value's own size per element.
  return value.reduce((sum, item) => sum + 1 + Buffer.byteLength(item, 'utf8'), 3);
}

/** A record of any kind, as plain attributes. */
type Attributes = Readonly<Record<string, RecordValue | undefined>>;

/**
 * The record's size as DynamoDB counts it (attribute names plus values), never below the real
 * size, so a record that passes this check always fits in one item.
 */
export function recordSizeBytes(record: Attributes): number {
  let total = 0;
  for (const name in record) {
    const value = record[name];
    if (value !== undefined) total += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  }
  return total;
}

/** The fields that take the most room in a record, largest first, for a 413's details. */
export function largestFields(record: Attributes, count = 3): string[] {
  return Object.entries(record)
    .filter((entry): entry is [string, RecordValue] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, bytes: valueBytes(value) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count)
    .map(({ name, bytes }) => `${name} (${bytes} bytes)`);
}
