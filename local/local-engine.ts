/**
 * The embedded DynamoDB-compatible engine (dynalite) for local runs and tests, with the messages
 * table created from the one table definition.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../lambda/message-table.ts';

/** Credentials and region the local engine accepts; it checks neither. */
export const LOCAL_AWS = {
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** Options for {@link startLocalEngine}. */
export interface LocalEngineOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** Folder for the data; unset keeps everything in memory. @default undefined */
  readonly dataDir?: string | undefined;
}

/** A running local engine. */
export interface LocalEngine {
  /** The endpoint URL, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint: string;
  /** A client for this engine. */
  readonly client: DynamoDBClient;
  /** Stops the engine and flushes its data to disk. */
  close(): Promise<void>;
}

/** Creates the messages table unless it exists, and waits until it is active. */
export async function ensureMessageTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts dynalite on `host:port`, in memory or under `dataDir`. */
export async function startLocalEngine({
  port = 0,
  host = '127.0.0.1',
  dataDir,
}: LocalEngineOptions = {}): Promise<LocalEngine> {
  const server: Server = dynalite({ createTableMs: 0, ...(dataDir ? { path: dataDir } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const endpoint = `http://${host}:${address.port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
