/**
 * A receiver wired to a fresh table in the real local engine (in-memory dynalite), for tests that
 * go through the middy chain or over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDynamoMessageStore, type MessageStore } from '../../lambda/message-store.ts';
import { createHandler, type ReceiverHandler } from '../../lambda/receiver.ts';
import { toHttpApiEvent } from '../../local/http-api-event.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import {
  ensureMessageTable,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';

/** A stored item as plain values. */
export type StoredItem = Record<string, unknown>;

/** A receiver on its own table, and ways to look into that table. */
export interface TestReceiver {
  readonly engine: LocalEngine;
  readonly tableName: string;
  readonly handler: ReceiverHandler;
  /** Every item in the table (a Scan: fine for a test table). */
  items(): Promise<StoredItem[]>;
  /** The item with this `serverMsgID`, if any. */
  item(serverMsgID: string): Promise<StoredItem | undefined>;
  close(): Promise<void>;
}

/** A logger that writes nothing unless a test spies on it. */
export function quietLogger(): Logger {
  return new Logger({ serviceName: 'test', logLevel: 'SILENT' });
}

/** Starts an engine and a receiver on a new table; `store` wraps the real store for fault tests. */
export async function startTestReceiver(
  options: { logger?: Logger; wrapStore?: (store: MessageStore) => MessageStore } = {},
): Promise<TestReceiver> {
  const engine = await startLocalEngine();
  const tableName = `messages-${randomUUID()}`;
  await ensureMessageTable(engine.client, tableName);
  const store = createDynamoMessageStore({ client: engine.client, tableName });
  const handler = createHandler({
    store: options.wrapStore ? options.wrapStore(store) : store,
    logger: options.logger ?? quietLogger(),
  });
  return {
    engine,
    tableName,
    handler,
    async items() {
      const items: StoredItem[] = [];
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await engine.client.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey }),
        );
        items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
        ExclusiveStartKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (ExclusiveStartKey);
      return items;
    },
    async item(serverMsgID) {
      const { Item } = await engine.client.send(
        new GetItemCommand({ TableName: tableName, Key: { serverMsgID: { S: serverMsgID } } }),
      );
      return Item ? unmarshall(Item) : undefined;
    },
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
  const route = path.split('?')[0] === '/' ? 'POST /' : 'POST /callbackAfterSendSingleMsgCommand';
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
