/**
 * The questions people ask of the archive, each answered by GetItem, BatchGetItem or Query on a
 * table or one of its indexes (see `lambda/table-schema.ts`), never by a Scan. Most indexes hold
 * keys only, so that completing a record never writes them; whole records are then read from the
 * table by key, 100 at a time.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { BATCH_GET_KEYS, readMessages, seqItems } from '../lambda/archive-reads.ts';
import { groupConversationIds } from '../lambda/callbacks/after-send-group-msg.ts';
import { singleConversationId } from '../lambda/callbacks/after-send-single-msg.ts';
import {
  conflictLogKey,
  DAY_SHARDS,
  DerivedAttribute,
  dayShardKey,
  IndexName,
  MESSAGE_KEY,
  utcDay,
} from '../lambda/table-schema.ts';

/** A stored item as plain values. */
export type StoredMessage = Record<string, unknown>;

/** The tables to ask. */
export interface QueryTarget {
  readonly client: DynamoDBClient;
  /** The messages table. */
  readonly tableName: string;
  /** The seqs table, when known (gaps and lookups by seq need it). */
  readonly seqTableName?: string | undefined;
}

/** A time window on `sentAt`, in ms, both ends included. */
export interface TimeWindow {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

const ONE_DAY_MS = 86_400_000;

/** The pieces of a Query: a key condition and what to read. */
interface QueryParts {
  readonly tableName: string;
  readonly indexName?: string;
  readonly condition: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
  readonly attributes?: readonly string[] | undefined;
  readonly consistent?: boolean;
}

/** Every item a Query returns, page by page, in key order. */
async function* queryAll(client: DynamoDBClient, parts: QueryParts): AsyncGenerator<StoredMessage> {
  const projected = parts.attributes ?? [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: parts.tableName,
        IndexName: parts.indexName,
        KeyConditionExpression: parts.condition,
        ExpressionAttributeNames: {
          ...parts.names,
          ...Object.fromEntries(projected.map((a, i) => [`#a${i}`, a])),
        },
        ExpressionAttributeValues: parts.values,
        ...(projected.length > 0
          ? { ProjectionExpression: projected.map((_, i) => `#a${i}`).join(', ') }
          : {}),
        ...(parts.consistent ? { ConsistentRead: true } : {}),
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) yield unmarshall(item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/** Every entry of an index partition, in `sentAt` order, within the window. */
function queryIndex(
  { client, tableName }: QueryTarget,
  indexName: string,
  keyName: string,
  keyValue: string,
  window: TimeWindow = {},
  attributes?: readonly string[],
): AsyncGenerator<StoredMessage> {
  const values: Record<string, AttributeValue> = { ':key': { S: keyValue } };
  const names: Record<string, string> = { '#key': keyName };
  let condition = '#key = :key';
  if (window.from !== undefined || window.to !== undefined) {
    values[':from'] = { N: String(window.from ?? Number.MIN_SAFE_INTEGER) };
    values[':to'] = { N: String(window.to ?? Number.MAX_SAFE_INTEGER) };
    names['#sentAt'] = DerivedAttribute.sentAt;
    condition += ' AND #sentAt BETWEEN :from AND :to';
  }
  return queryAll(client, { tableName, indexName, condition, names, values, attributes });
}

/** Whole records for index entries, in the entries' order, read 100 keys at a time. */
export async function* wholeRecords(
  { client, tableName }: QueryTarget,
  entries: AsyncIterable<StoredMessage>,
): AsyncGenerator<StoredMessage> {
  let batch: string[] = [];
  const flush = async function* () {
    const found = await readMessages(client, tableName, batch);
    for (const id of batch) {
      const record = found.get(id);
      if (record) yield record;
    }
    batch = [];
  };
  for await (const entry of entries) {
    batch.push(String(entry[MESSAGE_KEY.name]));
    if (batch.length === BATCH_GET_KEYS) yield* flush();
  }
  if (batch.length > 0) yield* flush();
}

/** Only `attributes` of the stored records among `ids` (at most 100), in no particular order. */
export async function readAttributes(
  { client, tableName }: QueryTarget,
  ids: readonly string[],
  attributes: readonly string[],
): Promise<StoredMessage[]> {
  return [...(await readMessages(client, tableName, ids, attributes)).values()];
}

/** The `serverMsgID`s of a conversation's messages, 100 at a time, from its index. */
export async function* conversationMessageIds(
  target: QueryTarget,
  conversationID: string,
): AsyncGenerator<string[]> {
  let batch: string[] = [];
  for await (const entry of queryIndex(
    target,
    IndexName.byConversation,
    DerivedAttribute.conversationId,
    conversationID,
    {},
    [MESSAGE_KEY.name],
  )) {
    batch.push(String(entry[MESSAGE_KEY.name]));
    if (batch.length === BATCH_GET_KEYS) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** One message by its `serverMsgID`, if it is stored. */
export async function findMessage(
  { client, tableName }: QueryTarget,
  serverMsgID: string,
): Promise<StoredMessage | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { [MESSAGE_KEY.name]: { S: serverMsgID } } }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** The seqs table's name, or an error saying how to name it. */
function seqTable(target: QueryTarget): string {
  if (!target.seqTableName) {
    throw new Error(
      'the seqs table is unknown: use --stack NAME, or --seq-table NAME with --table',
    );
  }
  return target.seqTableName;
}

/** What the archive knows of one seq of a conversation: its message, and any revoke. */
export interface SeqEntry {
  readonly conversationID: string;
  readonly seq: number;
  /** The message the save-DB callback brought for this seq, if it came. */
  readonly serverMsgID?: string;
  readonly revokedBy?: string;
  readonly revokedAt?: number;
  /** Other messages that claimed this seq after it was linked. */
  readonly conflictingMsgIDs?: ReadonlySet<string>;
  /** What a reconcile found in OpenIM at this seq when it holds no chat message. */
  readonly openimKind?: string;
}

/** The seq's entry in the seqs table, and its message if stored: two GetItems. */
export async function findBySeq(
  target: QueryTarget,
  conversationID: string,
  seq: number,
): Promise<{ entry?: SeqEntry; message?: StoredMessage }> {
  const { Item } = await target.client.send(
    new GetItemCommand({ TableName: seqTable(target), Key: marshall({ conversationID, seq }) }),
  );
  const entry = Item ? (unmarshall(Item) as SeqEntry) : undefined;
  const message = entry?.serverMsgID ? await findMessage(target, entry.serverMsgID) : undefined;
  return { ...(entry ? { entry } : {}), ...(message ? { message } : {}) };
}

/** Every item of a conversation in the seqs table, in seq order (a consistent Query). */
export function conversationSeqs(
  target: QueryTarget,
  conversationID: string,
): AsyncGenerator<StoredMessage> {
  return seqItems(target.client, seqTable(target), conversationID);
}

/** Index entries of several conversations merged into one stream in `sentAt` order. */
async function* mergeBySentAt(
  streams: AsyncGenerator<StoredMessage>[],
): AsyncGenerator<StoredMessage> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    // The stream whose next entry was sent first; the earlier stream on a tie.
    let next: number | undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [i, head] of heads.entries()) {
      if (!head.done && (next === undefined || Number(head.value.sentAt) < earliest)) {
        next = i;
        earliest = Number(head.value.sentAt);
      }
    }
    if (next === undefined) return;
    yield (heads[next] as IteratorYieldResult<StoredMessage>).value;
    heads[next] = await (streams[next] as AsyncGenerator<StoredMessage>).next();
  }
}

/** The one-to-one conversation between two users, in send order. */
export function conversationMessages(
  target: QueryTarget,
  userA: string,
  userB: string,
  window?: TimeWindow,
): AsyncGenerator<StoredMessage> {
  const id = singleConversationId(1, userA, userB);
  return wholeRecords(
    target,
    queryIndex(target, IndexName.byConversation, DerivedAttribute.conversationId, id, window),
  );
}

/** A group's messages, in send order (`sg_` and the legacy `g_` conversation together). */
export function groupMessages(
  target: QueryTarget,
  groupID: string,
  window?: TimeWindow,
): AsyncGenerator<StoredMessage> {
  const streams = groupConversationIds(groupID).map((id) =>
    queryIndex(target, IndexName.byConversation, DerivedAttribute.conversationId, id, window),
  );
  return wholeRecords(target, mergeBySentAt(streams));
}

/** What a user sent, in send order. */
export function sentMessages(target: QueryTarget, user: string, window?: TimeWindow) {
  return wholeRecords(target, queryIndex(target, IndexName.bySender, 'sendID', user, window));
}

/** What a user received in one-to-one chats, in send order. */
export function receivedMessages(target: QueryTarget, user: string, window?: TimeWindow) {
  return wholeRecords(target, queryIndex(target, IndexName.byReceiver, 'recvID', user, window));
}

/** The UTC days (`YYYY-MM-DD`) from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`);
    t += ONE_DAY_MS
  ) {
    days.push(utcDay(t));
  }
  return days;
}

/**
 * One UTC day's index entries, shard by shard (so not in send order across shards). `attributes`
 * limits what is read to what the `byDay` index holds, which is what makes counting cheap.
 */
export async function* dayEntries(
  target: QueryTarget,
  day: string,
  attributes?: readonly string[],
): AsyncGenerator<StoredMessage> {
  for (let shard = 0; shard < DAY_SHARDS; shard += 1) {
    yield* queryIndex(
      target,
      IndexName.byDay,
      DerivedAttribute.dayShard,
      dayShardKey(day, shard),
      {},
      attributes,
    );
  }
}

/** One UTC day's whole records, shard by shard. */
export function dayMessages(target: QueryTarget, day: string): AsyncGenerator<StoredMessage> {
  return wholeRecords(target, dayEntries(target, day));
}

/** A seq that a second message claimed, as the conflict log keeps it. */
export interface LoggedConflict {
  /** The UTC day the claiming message was sent. */
  readonly day: string;
  readonly conversationID: string;
  readonly seq: number;
  /** The message the seq stays linked to. */
  readonly linkedMsgID: string;
  /** The message that claimed it too. */
  readonly serverMsgID: string;
}

/** The seq conflicts logged for one UTC day, shard by shard. */
export async function* dayConflicts(
  target: QueryTarget,
  day: string,
): AsyncGenerator<LoggedConflict> {
  for (let shard = 0; shard < DAY_SHARDS; shard += 1) {
    for await (const item of seqItems(
      target.client,
      seqTable(target),
      conflictLogKey(dayShardKey(day, shard)),
    )) {
      yield {
        day,
        conversationID: String(item.conflictConversationID),
        seq: Number(item.conflictSeq),
        linkedMsgID: String(item.linkedMsgID),
        serverMsgID: String(item[MESSAGE_KEY.name]),
      };
    }
  }
}

/** How many seq conflicts were logged for one UTC day: a count per shard, never the items. */
export async function countDayConflicts(target: QueryTarget, day: string): Promise<number> {
  let total = 0;
  for (let shard = 0; shard < DAY_SHARDS; shard += 1) {
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await target.client.send(
        new QueryCommand({
          TableName: seqTable(target),
          KeyConditionExpression: '#c = :c',
          ExpressionAttributeNames: { '#c': 'conversationID' },
          ExpressionAttributeValues: { ':c': { S: conflictLogKey(dayShardKey(day, shard)) } },
          Select: 'COUNT',
          ExclusiveStartKey,
        }),
      );
      total += page.Count ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  return total;
}

/** One partition's index entries in a window, as `serverMsgID` and `sentAt`, in either order. */
export async function* indexEntriesInWindow(
  { client, tableName }: QueryTarget,
  index: { readonly indexName: string; readonly keyName: string; readonly keyValue: string },
  window: TimeWindow,
  { newestFirst = false, perRequest = 100 }: { newestFirst?: boolean; perRequest?: number } = {},
): AsyncGenerator<{ readonly serverMsgID: string; readonly sentAt: number }> {
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    // A small Limit: a page of a transcript needs about a hundred, not the 1 MB a Query may read.
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#key = :key AND #sentAt BETWEEN :from AND :to',
        ExpressionAttributeNames: {
          '#key': index.keyName,
          '#sentAt': DerivedAttribute.sentAt,
          '#id': MESSAGE_KEY.name,
        },
        ExpressionAttributeValues: marshall({
          ':key': index.keyValue,
          ':from': window.from ?? Number.MIN_SAFE_INTEGER,
          ':to': window.to ?? Number.MAX_SAFE_INTEGER,
        }),
        ProjectionExpression: '#id, #sentAt',
        ScanIndexForward: !newestFirst,
        Limit: perRequest,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const entry = unmarshall(item);
      yield { serverMsgID: String(entry[MESSAGE_KEY.name]), sentAt: Number(entry.sentAt) };
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
