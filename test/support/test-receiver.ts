/**
 * A receiver wired to fresh tables in the real local engine (in-memory dynalite), for tests that
 * go through the middy chain or over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ArchiveStore, createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { createHandler, type ReceiverHandler } from '../../lambda/receiver.ts';
import { type ArchiveTableNames, localTableNames } from '../../lambda/table-schema.ts';
import { type RouteKey, toHttpApiEvent } from '../../local/http-api-event.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import {
  ensureArchiveTables,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';

/** A stored item as plain values. */
export type StoredItem = Record<string, unknown>;

/** A receiver on its own tables, and ways to look into them. */
export interface TestReceiver {
  readonly engine: LocalEngine;
  readonly tables: ArchiveTableNames;
  /** The store on those tables, as the receiver uses it (before any wrapping). */
  readonly store: ArchiveStore;
  readonly handler: ReceiverHandler;
  /** Every message record (a Scan: fine for a test table). */
  items(): Promise<StoredItem[]>;
  /** The message record with this `serverMsgID`, if any. */
  item(serverMsgID: string): Promise<StoredItem | undefined>;
  /** Every item of the seqs table. */
  seqItems(): Promise<StoredItem[]>;
  close(): Promise<void>;
}

/**
 * Fresh table names, so tests sharing an engine never see each other's items; named as local mode
 * names them, so the tools find both from `TABLE_NAME`.
 */
export function freshTableNames(): ArchiveTableNames {
  return localTableNames(`messages-${randomUUID()}`);
}

/** Every item of a table, page by page (a Scan: for test tables only). */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The message record with this `serverMsgID`, read consistently. */
export async function messageItem(
  client: DynamoDBClient,
  tableName: string,
  serverMsgID: string,
): Promise<StoredItem | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { serverMsgID: { S: serverMsgID } },
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** A logger that writes nothing unless a test spies on it. */
export function quietLogger(): Logger {
  return new Logger({ serviceName: 'test', logLevel: 'SILENT' });
}

/** Starts an engine and a receiver on new tables; `wrapStore` wraps the real store for fault tests. */
export async function startTestReceiver(
  options: { logger?: Logger; wrapStore?: (store: ArchiveStore) => ArchiveStore } = {},
): Promise<TestReceiver> {
  const engine = await startLocalEngine();
  const tables = freshTableNames();
  await ensureArchiveTables(engine.client, tables);
  const store = createDynamoArchiveStore({ client: engine.client, tables });
  const handler = createHandler({
    store: options.wrapStore ? options.wrapStore(store) : store,
    logger: options.logger ?? quietLogger(),
  });
  return {
    engine,
    tables,
    store,
    handler,
    items: () => scanAll(engine.client, tables.messages),
    item: (serverMsgID) => messageItem(engine.client, tables.messages, serverMsgID),
    seqItems: () => scanAll(engine.client, tables.seqs),
    close: () => engine.close(),
  };
}

/** Calls the handler with the HTTP API event for a POST, as API Gateway would. */
export async function post(
  handler: ReceiverHandler,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' },
): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const lowerHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const route = `POST ${path.split('?')[0] ?? '/'}` as RouteKey;
  const event = toHttpApiEvent(
    {
      method: 'POST',
      url: path,
      headers: lowerHeaders,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body),
      sourceIp: '127.0.0.1',
    },
    route,
  );
  const result: APIGatewayProxyStructuredResultV2 = await handler(event, lambdaContext('test'));
  return { statusCode: result.statusCode ?? 0, body: JSON.parse(result.body ?? '') };
}

/** OpenIM's exact success body. */
export const SUCCESS = { actionCode: 0, errCode: 0, errMsg: '', errDlt: '', nextCode: 0 };
