/**
 * Turns a validated callback into the item stored in DynamoDB, and back. Pure functions only.
 *
 * Every OpenIM field keeps its own name and type. The receiver adds `conversationID`, `sentAt` and
 * `receivedAt` (see `table-schema.ts`), plus `unknownFields` when a newer OpenIM sends fields this
 * version does not know.
 */

import { hash } from 'node:crypto';
import type { CallbackAfterSendSingleMsgReq } from './callback-schema.ts';
import { KNOWN_FIELDS } from './callback-schema.ts';
import { DAY_SHARDS, DerivedAttribute, dayShardKey, utcDay } from './table-schema.ts';

/** DynamoDB's maximum item size, in bytes. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** OpenIM's `sessionType` for system notifications, whose conversation IDs start with `sn_`. */
const NOTIFICATION_SESSION_TYPE = 4;

/** A value as it is kept in a record: OpenIM only sends these types. */
type RecordValue = string | number | null | readonly string[];

/** One stored message: OpenIM's fields under their own names, plus the receiver's attributes. */
export interface MessageRecord {
  readonly [field: string]: RecordValue | undefined;
  readonly serverMsgID: string;
  readonly sendID: string;
  readonly recvID: string;
  readonly conversationID: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly dayShard: string;
  readonly unknownFields?: string;
  readonly expiresAt?: number;
}

/** What the receiver knows beyond the body when it stores a message. */
export interface RecordContext {
  /** When the callback arrived, in ms since the epoch. */
  readonly receivedAt: number;
  /** Keep the record this many days, then let DynamoDB's TTL delete it. Unset: keep forever. */
  readonly ttlDays?: number | undefined;
}

/** UTF-16 surrogates: where JS string order and UTF-8 byte order part ways. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Go's `sort.Strings` order: plain byte order of the UTF-8 encoding. */
function compareUtf8(a: string, b: string): number {
  // Without surrogates each UTF-16 unit is a code point, and code point order is UTF-8 byte order,
  // so the common case needs no encoding.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * OpenIM's own conversation ID for a one-to-one chat (`GetConversationIDBySessionType`): the two
 * user IDs in byte order, `si_` for chats and `sn_` for notifications.
 */
export function conversationIdOf(sessionType: number, sendID: string, recvID: string): string {
  const [first, second] = [sendID, recvID].sort(compareUtf8);
  const prefix = sessionType === NOTIFICATION_SESSION_TYPE ? 'sn_' : 'si_';
  return `${prefix}${first}_${second}`;
}

/**
 * The `byDay` key of a message: the UTC day it was sent and a shard taken from its ID, so that
 * every delivery of one message lands in the same place.
 */
export function dayShardOf(sentAt: number, serverMsgID: string): string {
  const shard = hash('sha256', serverMsgID, 'buffer').readUInt16BE(0) % DAY_SHARDS;
  return dayShardKey(utcDay(sentAt), shard);
}

/** Builds the item to store. Fields the schema does not know go, as JSON, into `unknownFields`. */
export function toMessageRecord(
  message: CallbackAfterSendSingleMsgReq,
  context: RecordContext,
): MessageRecord {
  const known: Record<string, RecordValue> = {};
  const unknown: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(message)) {
    if (KNOWN_FIELDS.has(field)) known[field] = value as RecordValue;
    else unknown[field] = value;
  }
  const hasUnknown = Object.keys(unknown).length > 0;
  const sentAt = message.sendTime ?? message.createTime;
  return {
    ...known,
    serverMsgID: message.serverMsgID,
    sendID: message.sendID,
    recvID: message.recvID,
    [DerivedAttribute.conversationId]: conversationIdOf(
      message.sessionType,
      message.sendID,
      message.recvID,
    ),
    [DerivedAttribute.sentAt]: sentAt,
    [DerivedAttribute.receivedAt]: context.receivedAt,
    [DerivedAttribute.dayShard]: dayShardOf(sentAt, message.serverMsgID),
    ...(hasUnknown ? { [DerivedAttribute.unknownFields]: JSON.stringify(unknown) } : {}),
    ...(context.ttlDays === undefined
      ? {}
      : {
          [DerivedAttribute.expiresAt]:
            Math.floor(context.receivedAt / 1000) + context.ttlDays * 86_400,
        }),
  };
}

/** The callback body a record was made from: OpenIM's fields and any unknown ones. */
export function toCallbackBody(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of KNOWN_FIELDS) {
    if (record[field] !== undefined) body[field] = record[field];
  }
  const unknownFields = record[DerivedAttribute.unknownFields];
  if (typeof unknownFields === 'string') Object.assign(body, JSON.parse(unknownFields));
  return body;
}

/** Upper bound of a number's stored size: 38 significant digits take at most 21 bytes. */
const MAX_NUMBER_BYTES = 21;

/** Stored size of one value by DynamoDB's rules, rounded up where the rules are approximate. */
function valueBytes(value: RecordValue): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return MAX_NUMBER_BYTES;
  if (value === null) return 1;
  // A list costs 3 bytes, plus 1 byte and the value's own size per element.
  return value.reduce((sum, item) => sum + 1 + Buffer.byteLength(item, 'utf8'), 3);
}

/**
 * The record's size as DynamoDB counts it (attribute names plus values), never below the real
 * size, so a record that passes this check always fits in one item.
 */
export function recordSizeBytes(record: MessageRecord): number {
  let total = 0;
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) total += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  }
  return total;
}

/** The fields that take the most room in a record, largest first, for a 413's details. */
export function largestFields(record: MessageRecord, count = 3): string[] {
  return Object.entries(record)
    .filter((entry): entry is [string, RecordValue] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, bytes: valueBytes(value) }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count)
    .map(({ name, bytes }) => `${name} (${bytes} bytes)`);
}
