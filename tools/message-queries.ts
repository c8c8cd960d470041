/**
 * The questions people ask of the messages table, each answered by GetItem or Query on the table
 * or one of its indexes (see `lambda/table-schema.ts`), never by a Scan.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { conversationIdOf } from '../lambda/message-record.ts';
import {
  DAY_SHARDS,
  DerivedAttribute,
  dayShardKey,
  IndexName,
  MESSAGE_KEY,
  utcDay,
} from '../lambda/table-schema.ts';

/** A stored message as plain values. */
export type StoredMessage = Record<string, unknown>;

/** The table to ask. */
export interface QueryTarget {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** A time window on `sentAt`, in ms, both ends included. */
export interface TimeWindow {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

const ONE_DAY_MS = 86_400_000;

/** Every item of an index partition, in `sentAt` order, page by page. */
async function* queryPartition(
  { client, tableName }: QueryTarget,
  indexName: string,
  keyName: string,
  keyValue: string,
  window: TimeWindow = {},
  attributes?: readonly string[],
): AsyncGenerator<StoredMessage> {
  const values: Record<string, AttributeValue> = { ':key': { S: keyValue } };
  let condition = '#key = :key';
  if (window.from !== undefined || window.to !== undefined) {
    values[':from'] = { N: String(window.from ?? Number.MIN_SAFE_INTEGER) };
    values[':to'] = { N: String(window.to ?? Number.MAX_SAFE_INTEGER) };
    condition += ' AND #sentAt BETWEEN :from AND :to';
  }
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: indexName,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: {
          '#key': keyName,
          ...(condition.includes('#sentAt') ? { '#sentAt': DerivedAttribute.sentAt } : {}),
          ...Object.fromEntries((attributes ?? []).map((a, i) => [`#a${i}`, a])),
        },
        ExpressionAttributeValues: values,
        ...(attributes
          ? { ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', ') }
          : {}),
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) yield unmarshall(item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
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

/** The one-to-one conversation between two users, in send order. */
export function conversationMessages(
  target: QueryTarget,
  userA: string,
  userB: string,
  window?: TimeWindow,
): AsyncGenerator<StoredMessage> {
  const id = conversationIdOf(1, userA, userB);
  return queryPartition(
    target,
    IndexName.byConversation,
    DerivedAttribute.conversationId,
    id,
    window,
  );
}

/** What a user sent, in send order. */
export function sentMessages(target: QueryTarget, user: string, window?: TimeWindow) {
  return queryPartition(target, IndexName.bySender, 'sendID', user, window);
}

/** What a user received, in send order. */
export function receivedMessages(target: QueryTarget, user: string, window?: TimeWindow) {
  return queryPartition(target, IndexName.byReceiver, 'recvID', user, window);
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
 * One UTC day's messages, shard by shard (so not in send order across shards). `attributes` limits
 * what is read, which is what makes counting cheap.
 */
export async function* dayMessages(
  target: QueryTarget,
  day: string,
  attributes?: readonly string[],
): AsyncGenerator<StoredMessage> {
  for (let shard = 0; shard < DAY_SHARDS; shard += 1) {
    yield* queryPartition(
      target,
      IndexName.byDay,
      DerivedAttribute.dayShard,
      dayShardKey(day, shard),
      {},
      attributes,
    );
  }
}
