/**
 * The baseline for cold start and warm throughput: the least a function can do to store an OpenIM
 * callback. It parses the body and writes its fields with one raw `PutItem`; no validation, no
 * middleware, no logging, no auth. `bench/bundles.ts` bundles it exactly like the receiver.
 */
import { type AttributeValue, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

const client = new DynamoDBClient();
const tableName = process.env.TABLE_NAME;

/** A JSON value as a DynamoDB attribute, for the types OpenIM sends. */
function attribute(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (Array.isArray(value)) return { L: value.map(attribute) };
  return { NULL: true };
}

/** Parses the body and puts it as one item. */
export async function handler(
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const body = JSON.parse(event.body ?? '') as Record<string, unknown>;
  const Item: Record<string, AttributeValue> = {};
  for (const name of Object.keys(body)) Item[name] = attribute(body[name]);
  await client.send(new PutItemCommand({ TableName: tableName, Item }));
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}',
  };
}
