/**
 * A local receiver wired like `npm start` (engine on disk, spool fallback, optional credentials),
 * but in-process, so tests can stop and restart its engine, throttle its client and count what it
 * stored.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type ArchiveStore, createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { createSpoolFallback } from '../../lambda/message-fallback.ts';
import { createHandler } from '../../lambda/receiver.ts';
import { sdkDeadline } from '../../lambda/sdk-deadline.ts';
import type { ArchiveTableNames } from '../../lambda/table-schema.ts';
import { type Credentials, staticCredentials } from '../../lambda/webhook-auth.ts';
import {
  ensureArchiveTables,
  LOCAL_AWS,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';
import { createReceiverServer, type ReceiverServer } from '../../local/receiver-server.ts';
import { freePort } from './child.ts';
import { freshTableNames, quietLogger, scanAll } from './test-receiver.ts';

/** A receiver over HTTP whose engine can be stopped and started again. */
export interface HttpReceiver {
  readonly url: string;
  readonly dataDir: string;
  readonly spoolDir: string;
  readonly tables: ArchiveTableNames;
  /** The client the receiver stores with; tests may add fault-injecting middleware to it. */
  readonly client: DynamoDBClient;
  /** The store as the receiver uses it (deadline included). */
  readonly store: ArchiveStore;
  /** Stops the engine; the receiver keeps serving (and falls back). */
  stopEngine(): Promise<void>;
  /** Starts the engine again on the same port and data. */
  startEngine(): Promise<void>;
  /** Every stored item. */
  items(): Promise<Record<string, unknown>[]>;
  /** How many records wait in the spool. */
  spooled(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a receiver on free ports with its data in a new temporary folder. */
export async function startHttpReceiver(
  options: { credentials?: Credentials; deadlineMs?: number; maxAttempts?: number } = {},
): Promise<HttpReceiver> {
  const dataDir = await mkdtemp(join(tmpdir(), 'receiver-'));
  const spoolDir = join(dataDir, 'fallback');
  const port = await freePort();
  const tables = freshTableNames();
  let engine: LocalEngine | undefined = await startLocalEngine({
    port,
    dataDir: join(dataDir, 'db'),
  });
  await ensureArchiveTables(engine.client, tables);
  const client = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: engine.endpoint,
    ...sdkDeadline(options.deadlineMs ?? 1_500, options.maxAttempts ?? 3),
  });
  const deadlineMs = options.deadlineMs ?? 1_500;
  const store = createDynamoArchiveStore({ client, tables, deadlineMs });
  const handler = createHandler({
    store,
    fallback: createSpoolFallback({ directory: spoolDir }),
    credentials: staticCredentials(options.credentials),
    logger: quietLogger(),
  });
  const server: ReceiverServer = createReceiverServer({ handler });
  const { port: httpPort } = await server.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${httpPort}`,
    dataDir,
    spoolDir,
    tables,
    client,
    store,
    async stopEngine() {
      await engine?.close();
      engine = undefined;
    },
    async startEngine() {
      engine = await startLocalEngine({ port, dataDir: join(dataDir, 'db') });
    },
    items: () => scanAll(client, tables.messages),
    async spooled() {
      return (await readdir(spoolDir).catch(() => [])).filter((f) => f.endsWith('.json')).length;
    },
    async close() {
      await server.close();
      await engine?.close();
      client.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
