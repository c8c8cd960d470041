/**
 * Reads of the archive that a reconcile and the tools share: messages by key, many at a time, and
 * a conversation's items in the seqs table, in seq order. Never a Scan.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { MESSAGE_KEY } from './table-schema.ts';

/** BatchGetItem's limit on keys per request. */
export const BATCH_GET_KEYS = 100;

/**
 * The stored records among `ids` (at most {@link BATCH_GET_KEYS}), by `serverMsgID`: whole, or
 * only `attributes`. Keys the engine leaves unprocessed are asked again.
 */
export async function readMessages(
  client: DynamoDBClient,
  tableName: string,
  ids: readonly string[],
  attributes?: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const projected = attributes ? [MESSAGE_KEY.name, ...attributes] : [];
  const projection =
    projected.length > 0
      ? {
          ProjectionExpression: projected.map((_, i) => `#a${i}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(projected.map((a, i) => [`#a${i}`, a])),
        }
      : {};
  let keys: Record<string, AttributeValue>[] = [...new Set(ids)].map((id) =>
    marshall({ [MESSAGE_KEY.name]: id }),
  );
  while (keys.length > 0) {
    const { Responses, UnprocessedKeys } = await client.send(
      new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ...projection } } }),
    );
    for (const item of Responses?.[tableName] ?? []) {
      const record = unmarshall(item);
      found.set(String(record[MESSAGE_KEY.name]), record);
    }
    keys = UnprocessedKeys?.[tableName]?.Keys ?? [];
  }
  return found;
}

/**
 * A conversation's items in the seqs table, in seq order, read consistently (so a write just
 * made is seen), from `fromSeq` to `toSeq` when given.
 */
export async function* seqItems(
  client: DynamoDBClient,
  tableName: string,
  conversationID: string,
  range: { readonly fromSeq?: number; readonly toSeq?: number } = {},
): AsyncGenerator<Record<string, unknown>> {
  const bounded = range.fromSeq !== undefined || range.toSeq !== undefined;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: bounded ? '#c = :c AND #s BETWEEN :from AND :to' : '#c = :c',
        ExpressionAttributeNames: { '#c': 'conversationID', ...(bounded ? { '#s': 'seq' } : {}) },
        ExpressionAttributeValues: marshall({
          ':c': conversationID,
          ...(bounded
            ? { ':from': range.fromSeq ?? 0, ':to': range.toSeq ?? Number.MAX_SAFE_INTEGER }
            : {}),
        }),
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) yield unmarshall(item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
