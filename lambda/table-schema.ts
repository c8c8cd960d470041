/**
 * The one definition of the messages table: its key, its indexes and the derived attributes that
 * feed them. The CDK stack, the local engine and the tests all build the table from this module.
 *
 * One item per message, keyed by `serverMsgID` (OpenIM's identity for a message; `seq` is always 0
 * in this callback, so it is never part of a key). Three global secondary indexes answer the
 * questions a console user asks without a Scan:
 *
 * | question                          | index            | partition key    | sort key |
 * |-----------------------------------|------------------|------------------|----------|
 * | one message                       | (table)          | `serverMsgID`    |          |
 * | a conversation, in send order     | `byConversation` | `conversationID` | `sentAt` |
 * | what a user sent                  | `bySender`       | `sendID`         | `sentAt` |
 * | what a user received              | `byReceiver`     | `recvID`         | `sentAt` |
 * | one day's messages (export, stats)| `byDay`          | `dayShard`       | `sentAt` |
 *
 * `dayShard` is the UTC day of `sentAt` plus one of {@link DAY_SHARDS} shards picked from the
 * message ID (`2025-05-09#07`), so that one busy day spreads its index writes over many partitions
 * instead of making one hot partition.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** A key attribute: its name and DynamoDB scalar type. */
export interface KeyAttribute {
  /** Attribute name as stored on every item. */
  readonly name: string;
  /** DynamoDB scalar type: string or number. */
  readonly type: 'S' | 'N';
}

/** A global secondary index that projects whole items, so the console shows full records. */
export interface MessageIndex {
  /** Index name, as shown in the console's "Query" index picker. */
  readonly indexName: string;
  /** Partition key of the index. */
  readonly partitionKey: KeyAttribute;
  /** Sort key of the index. */
  readonly sortKey: KeyAttribute;
}

/** Attribute names the receiver adds to each record, next to OpenIM's own fields. */
export const DerivedAttribute = {
  /** OpenIM's own conversation ID for the pair, e.g. `si_alice_bob`. */
  conversationId: 'conversationID',
  /** Send time in ms: `sendTime`, or `createTime` for servers older than v3.8.1. */
  sentAt: 'sentAt',
  /** When the receiver got the callback, in ms since the epoch. */
  receivedAt: 'receivedAt',
  /** Unknown fields from newer OpenIM versions, kept verbatim as one JSON object string. */
  unknownFields: 'unknownFields',
  /** Optional TTL attribute, in seconds since the epoch, set only when a TTL is configured. */
  expiresAt: 'expiresAt',
  /** The UTC day of `sentAt` and a shard, e.g. `2025-05-09#07`: the key of the `byDay` index. */
  dayShard: 'dayShard',
} as const;

/** How many shards one day's messages are spread over in the `byDay` index. */
export const DAY_SHARDS = 16;

/** The index names, for queries. */
export const IndexName = {
  byConversation: 'byConversation',
  bySender: 'bySender',
  byReceiver: 'byReceiver',
  byDay: 'byDay',
} as const;

/** The messages table's partition key. */
export const MESSAGE_KEY: KeyAttribute = { name: 'serverMsgID', type: 'S' };

/** The messages table's global secondary indexes. */
export const MESSAGE_INDEXES: readonly MessageIndex[] = [
  {
    indexName: IndexName.byConversation,
    partitionKey: { name: DerivedAttribute.conversationId, type: 'S' },
    sortKey: { name: DerivedAttribute.sentAt, type: 'N' },
  },
  {
    indexName: IndexName.bySender,
    partitionKey: { name: 'sendID', type: 'S' },
    sortKey: { name: DerivedAttribute.sentAt, type: 'N' },
  },
  {
    indexName: IndexName.byReceiver,
    partitionKey: { name: 'recvID', type: 'S' },
    sortKey: { name: DerivedAttribute.sentAt, type: 'N' },
  },
  {
    indexName: IndexName.byDay,
    partitionKey: { name: DerivedAttribute.dayShard, type: 'S' },
    sortKey: { name: DerivedAttribute.sentAt, type: 'N' },
  },
];

/** The `byDay` partition key for a day (`YYYY-MM-DD`, UTC) and a shard number. */
export function dayShardKey(day: string, shard: number): string {
  return `${day}#${String(shard).padStart(2, '0')}`;
}

/** 0000-01-01 and 9999-12-31, the days a `YYYY-MM-DD` key can name. */
const FIRST_DAY_MS = -62_167_219_200_000;
const LAST_DAY_MS = 253_402_300_799_999;

/** The UTC day (`YYYY-MM-DD`) of a time in ms; times beyond years 0 to 9999 take the edge day. */
export function utcDay(epochMs: number): string {
  const clamped = Math.min(Math.max(epochMs, FIRST_DAY_MS), LAST_DAY_MS);
  return new Date(clamped).toISOString().slice(0, 10);
}

/** The TTL attribute name, used only when the deployment turns TTL on. */
export const MESSAGE_TTL_ATTRIBUTE = DerivedAttribute.expiresAt;

/** Every key attribute of the table and its indexes, once each. */
export function keyAttributes(): KeyAttribute[] {
  const all = [MESSAGE_KEY, ...MESSAGE_INDEXES.flatMap((i) => [i.partitionKey, i.sortKey])];
  return [...new Map(all.map((a) => [a.name, a])).values()];
}

/** The CreateTable request for the local engine and the tests (on-demand, like the stack). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes().map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: [{ AttributeName: MESSAGE_KEY.name, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: MESSAGE_INDEXES.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: i.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
