/**
 * The one definition of the archive's two tables: their keys, their indexes and the derived
 * attributes that feed them. The CDK stack, the local engine and the tests all build the tables
 * from this module.
 *
 * **messages**: one item per message, keyed by `serverMsgID` (OpenIM's identity for a message; the
 * after-send callbacks carry `seq` 0, so `seq` is never part of its key). Four global secondary
 * indexes answer the questions a console user asks without a Scan:
 *
 * | question                           | index            | partition key    | sort key |
 * |------------------------------------|------------------|------------------|----------|
 * | one message                        | (table)          | `serverMsgID`    |          |
 * | a conversation or group, in order  | `byConversation` | `conversationID` | `sentAt` |
 * | what a user sent                   | `bySender`       | `sendID`         | `sentAt` |
 * | what a user received (1:1 only)    | `byReceiver`     | `recvID`         | `sentAt` |
 * | one day's messages (export, stats) | `byDay`          | `dayShard`       | `sentAt` |
 *
 * Every index entry is written when a message is first stored. No index projects `seq`,
 * `operationID` or `receivedAt`, so completing a record with the save-DB callback writes the table
 * item alone, never an index (an update that changes a projected attribute writes that index too).
 *
 * **seqs**: one item per `(conversationID, seq)` that the receiver heard of, from the save-DB
 * callback (`serverMsgID`) or a revoke (`revokedBy`, `revokedAt`), or that a reconcile accounted
 * for (`openimKind`). Both callbacks update this one item, so each sees what the other did before
 * it, whatever their order (see `archive-store.ts`). Its items also answer "which seqs never
 * arrived" with a Query, and find a message by seq. Two kinds of item are not seqs: seq 0 of a
 * conversation holds its reconcile checkpoint, and the `~conflicts#…` partitions log the seqs that
 * two messages claimed, by day, for `stats` and `records conflicts`.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** A key attribute: its name and DynamoDB scalar type. */
export interface KeyAttribute {
  /** Attribute name as stored on every item. */
  readonly name: string;
  /** DynamoDB scalar type: string or number. */
  readonly type: 'S' | 'N';
}

/** What an index copies of each item besides the keys. */
export type Projection =
  | { readonly type: 'KEYS_ONLY' }
  | { readonly type: 'INCLUDE'; readonly attributes: readonly string[] };

/** A global secondary index. */
export interface TableIndex {
  /** Index name, as shown in the console's "Query" index picker. */
  readonly indexName: string;
  /** Partition key of the index. */
  readonly partitionKey: KeyAttribute;
  /** Sort key of the index. */
  readonly sortKey: KeyAttribute;
  /** Attributes copied into the index besides the keys. */
  readonly projection: Projection;
}

/** A table: its key and its global secondary indexes. */
export interface TableDefinition {
  /** The partition key. */
  readonly partitionKey: KeyAttribute;
  /** The sort key, if the table has one. */
  readonly sortKey?: KeyAttribute;
  /** The global secondary indexes. */
  readonly indexes: readonly TableIndex[];
}

/** Attribute names the receiver adds to each message record, next to OpenIM's own fields. */
export const DerivedAttribute = {
  /** OpenIM's own conversation ID: `si_alice_bob`, `sg_<groupID>`, `g_<groupID>`, `sn_…`. */
  conversationId: 'conversationID',
  /** Send time in ms: `sendTime`, or `createTime` for servers older than v3.8.1. */
  sentAt: 'sentAt',
  /** When the receiver got the first callback of the message, in ms since the epoch. */
  receivedAt: 'receivedAt',
  /** Unknown fields from newer OpenIM versions, kept verbatim as one JSON object string. */
  unknownFields: 'unknownFields',
  /** Optional TTL attribute, in seconds since the epoch, set only when a TTL is configured. */
  expiresAt: 'expiresAt',
  /** The UTC day of `sentAt` and a shard, e.g. `2025-05-09#07`: the key of the `byDay` index. */
  dayShard: 'dayShard',
  /** Who revoked the message (OpenIM's `userID` in the revoke callback). */
  revokedBy: 'revokedBy',
  /**
   * When the message was revoked, in ms since the epoch: the earliest time known, OpenIM's own
   * revoke time once a reconcile read it, else when the receiver got the revoke callback.
   */
  revokedAt: 'revokedAt',
  /**
   * When a reconcile stored the message from OpenIM's API because no callback had brought it, in
   * ms; removed as soon as a callback brings the message after all.
   */
  recoveredAt: 'recoveredAt',
} as const;

/**
 * Attribute names of the seqs table's items besides its keys (and `serverMsgID`, `revokedBy`,
 * `revokedAt` and `expiresAt`, named as in the messages table).
 */
export const SeqAttribute = {
  /**
   * Messages whose save-DB callback (or reconcile) named this seq after another message already
   * held it: kept as they came, never linked, never marked by this seq's revoke (a string set).
   */
  conflictingMsgIDs: 'conflictingMsgIDs',
  /**
   * What OpenIM holds at this seq when it is no chat message, as a reconcile found it:
   * `notification` (a notification took the seq) or `deleted` (the slot was deleted in OpenIM).
   */
  openimKind: 'openimKind',
  /** The notification's content type, with `openimKind` `notification`. */
  contentType: 'contentType',
  /** On a conversation's item (seq {@link CONVERSATION_ITEM_SEQ}): every seq up to here was asked of OpenIM. */
  reconciledThrough: 'reconciledThrough',
  /** On a conversation's item: when a reconcile last moved `reconciledThrough`, in ms. */
  reconciledAt: 'reconciledAt',
  /** On a conversation's item: the send time of the newest message a reconcile saw, in ms. */
  newestSendTime: 'newestSendTime',
  /** On a conversation's item: the user whose view of it a reconcile pulls (a current member). */
  pullAs: 'pullAs',
  /** On the reconcile's own item: the page of OpenIM's users an unfinished run stopped at. */
  nextUserPage: 'nextUserPage',
} as const;

/** What a reconcile found at a seq that holds no chat message: the values of `openimKind`. */
export const OpenImKind = {
  notification: 'notification',
  deleted: 'deleted',
} as const;

/**
 * The seq of each conversation's own item in the seqs table: OpenIM numbers messages from 1, so
 * seq 0 holds the conversation's reconcile checkpoint, never a message.
 */
export const CONVERSATION_ITEM_SEQ = 0;

/**
 * The seqs table's partitions that log seq conflicts by day and shard (`~conflicts#2025-05-09#07`):
 * `~` sorts after every OpenIM conversation prefix and starts none of them.
 */
const CONFLICT_LOG_PREFIX = '~conflicts#';

/**
 * The seqs table's partition (with seq {@link CONVERSATION_ITEM_SEQ}) where a reconcile that ran
 * out of time notes which page of OpenIM's users the next run starts at.
 */
export const RECONCILE_RUN_KEY = '~reconcile';

/** The conflict log partition of a day and shard, as the `byDay` key names them. */
export function conflictLogKey(dayShard: string): string {
  return `${CONFLICT_LOG_PREFIX}${dayShard}`;
}

/** How many shards one day's messages are spread over in the `byDay` index. */
export const DAY_SHARDS = 16;

/** The index names, for queries. */
export const IndexName = {
  byConversation: 'byConversation',
  bySender: 'bySender',
  byReceiver: 'byReceiver',
  byDay: 'byDay',
} as const;

const sentAtKey: KeyAttribute = { name: DerivedAttribute.sentAt, type: 'N' };

/** What a person reads of a conversation in the console's index query. */
const CONVERSATION_VIEW = [
  'sendID',
  'senderNickname',
  'contentType',
  'content',
  'atUserList',
  DerivedAttribute.revokedBy,
  DerivedAttribute.revokedAt,
] as const;

/** What `npm run stats` counts, read from the `byDay` index alone. */
export const DAY_STATS_ATTRIBUTES = [
  'sendID',
  'recvID',
  'groupID',
  DerivedAttribute.conversationId,
] as const;

/** The messages table. */
export const MESSAGES_TABLE: TableDefinition = {
  partitionKey: { name: 'serverMsgID', type: 'S' },
  indexes: [
    {
      indexName: IndexName.byConversation,
      partitionKey: { name: DerivedAttribute.conversationId, type: 'S' },
      sortKey: sentAtKey,
      projection: { type: 'INCLUDE', attributes: CONVERSATION_VIEW },
    },
    {
      indexName: IndexName.bySender,
      partitionKey: { name: 'sendID', type: 'S' },
      sortKey: sentAtKey,
      projection: { type: 'KEYS_ONLY' },
    },
    {
      indexName: IndexName.byReceiver,
      partitionKey: { name: 'recvID', type: 'S' },
      sortKey: sentAtKey,
      projection: { type: 'KEYS_ONLY' },
    },
    {
      indexName: IndexName.byDay,
      partitionKey: { name: DerivedAttribute.dayShard, type: 'S' },
      sortKey: sentAtKey,
      projection: { type: 'INCLUDE', attributes: DAY_STATS_ATTRIBUTES },
    },
  ],
};

/** The seqs table: one item per `(conversationID, seq)`. */
export const SEQS_TABLE: TableDefinition = {
  partitionKey: { name: 'conversationID', type: 'S' },
  sortKey: { name: 'seq', type: 'N' },
  indexes: [],
};

/** The messages table's partition key. */
export const MESSAGE_KEY = MESSAGES_TABLE.partitionKey;

/** The TTL attribute name, used only when the deployment turns TTL on. */
export const MESSAGE_TTL_ATTRIBUTE = DerivedAttribute.expiresAt;

/** The names of the two tables in one deployment. */
export interface ArchiveTableNames {
  /** The messages table. */
  readonly messages: string;
  /** The seqs table. */
  readonly seqs: string;
}

/** The seqs table's name next to a local messages table `name` (AWS names both itself). */
export function localTableNames(messages: string): ArchiveTableNames {
  return { messages, seqs: `${messages}-seqs` };
}

/** The attributes that every index of the messages table needs on an item to list it. */
export function indexKeyAttributes(): ReadonlySet<string> {
  return new Set(MESSAGES_TABLE.indexes.flatMap((i) => [i.partitionKey.name, i.sortKey.name]));
}

/** Every key attribute of a table and its indexes, once each. */
export function keyAttributes(table: TableDefinition): KeyAttribute[] {
  const all = [
    table.partitionKey,
    ...(table.sortKey ? [table.sortKey] : []),
    ...table.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return [...new Map(all.map((a) => [a.name, a])).values()];
}

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

/** The CreateTable request for the local engine and the tests (on-demand, like the stack). */
export function createTableInput(
  table: TableDefinition,
  tableName: string,
): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes(table).map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
      ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(table.indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: table.indexes.map((i) => ({
            IndexName: i.indexName,
            KeySchema: [
              { AttributeName: i.partitionKey.name, KeyType: 'HASH' as const },
              { AttributeName: i.sortKey.name, KeyType: 'RANGE' as const },
            ],
            Projection:
              i.projection.type === 'INCLUDE'
                ? {
                    ProjectionType: 'INCLUDE' as const,
                    NonKeyAttributes: [...i.projection.attributes],
                  }
                : { ProjectionType: 'KEYS_ONLY' as const },
          })),
        }),
  };
}
