/**
 * The embedded DynamoDB-compatible engine (dynalite) for local runs and tests, with the archive's
 * tables created from the one table definition.
 */
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  type ArchiveTableNames,
  createTableInput,
  MESSAGES_TABLE,
  SEQS_TABLE,
  type TableDefinition,
} from '../lambda/table-schema.ts';

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

/** Creates the archive's two tables unless they exist, and waits until they are active. */
export async function ensureArchiveTables(
  client: DynamoDBClient,
  tables: ArchiveTableNames,
): Promise<void> {
  await ensureTable(client, MESSAGES_TABLE, tables.messages);
  await ensureTable(client, SEQS_TABLE, tables.seqs);
}

/** Creates a table unless it exists, and waits until it is active. */
async function ensureTable(
  client: DynamoDBClient,
  table: TableDefinition,
  tableName: string,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(table, tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts dynalite on `host:port`, in memory or under `dataDir`, on its own thread. */
export async function startLocalEngine({
  port = 0,
  host = '127.0.0.1',
  dataDir,
}: LocalEngineOptions = {}): Promise<LocalEngine> {
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url), {
    workerData: { port, host, ...(dataDir ? { dataDir } : {}) },
  });
  const reply = () =>
    new Promise<{ port?: number; error?: string; closed?: boolean }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const started = await reply();
  if (started.error !== undefined || started.port === undefined) {
    await worker.terminate();
    const error = new Error(started.error ?? 'the engine did not start');
    throw Object.assign(
      error,
      started.error?.includes('EADDRINUSE') ? { code: 'EADDRINUSE', port } : {},
    );
  }
  const endpoint = `http://${host}:${started.port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      const closed = reply();
      worker.postMessage('close');
      const { error } = await closed;
      await worker.terminate();
      if (error) throw new Error(error);
    },
  };
}
