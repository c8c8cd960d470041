/**
 * One reconcile, measured in a process of its own: an in-memory engine, fresh tables, and the
 * whole conversation the parent's fake OpenIM serves reconciled into them, with the live heap
 * read after full collections as it goes (`--expose-gc`). Then the raw-write floor on the same
 * engine: the same records and seq items written with plain PutItems, as many at a time as the
 * reconcile writes. The report goes to fd 3 as JSON.
 */
import { writeSync } from 'node:fs';
import { type AttributeValue, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoArchiveStore } from '../lambda/archive-store.ts';
import { OpenImApi } from '../lambda/openim-api.ts';
import { reconcile } from '../lambda/reconcile/reconcile.ts';
import { ensureArchiveTables, startLocalEngine } from '../local/local-engine.ts';
import { reportProgress } from './child.ts';
import { localTableNames } from './receiver-code.ts';

/** What the parent asks. */
export interface ReconcileChildConfig {
  readonly url: string;
  readonly secret: string;
  /** Seqs in the conversation. */
  readonly messages: number;
  /** Whether to measure the raw-write floor too. */
  readonly floor: boolean;
}

/** What the child reports. */
export interface ReconcileChildReport {
  readonly messages: number;
  readonly recovered: number;
  readonly reconcileMs: number;
  /** Live heap after full collections: before the run, and the most seen during it. */
  readonly heapStartMB: number;
  readonly heapPeakMB: number;
  readonly floorMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ReconcileChildConfig;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('the reconcile child needs --expose-gc');
/** The live heap now, in MB. */
const liveHeapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const engine = await startLocalEngine();
const tables = localTableNames('reconciled');
await ensureArchiveTables(engine.client, tables);
const heapStartMB = liveHeapMB();
let heapPeakMB = heapStartMB;
let hundreds = 0;
const started = performance.now();
const summary = await reconcile({
  api: new OpenImApi({ baseUrl: config.url, secret: config.secret }),
  store: createDynamoArchiveStore({ client: engine.client, tables }),
  client: engine.client,
  tables,
  onProgress: (p) => {
    hundreds += 1;
    // Every tenth hundred: often enough to see growth, rarely enough not to slow the run.
    if (hundreds % 10 === 0) {
      heapPeakMB = Math.max(heapPeakMB, liveHeapMB());
      if (hundreds % 100 === 0) reportProgress(`reconcile: ${p.recovered} messages`);
    }
  },
});
const reconcileMs = performance.now() - started;

let floorMs: number | undefined;
if (config.floor) {
  // The same items the reconcile wrote, put again into fresh tables: the least that storing
  // them costs on this engine.
  const floorTables = localTableNames('floor');
  await ensureArchiveTables(engine.client, floorTables);
  const items = async (tableName: string) => {
    const all: Record<string, AttributeValue>[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await engine.client.send(
        new ScanCommand({ TableName: tableName, ExclusiveStartKey }),
      );
      all.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return all;
  };
  const puts = [
    ...(await items(tables.messages)).map((Item) => ({ TableName: floorTables.messages, Item })),
    ...(await items(tables.seqs)).map((Item) => ({ TableName: floorTables.seqs, Item })),
  ];
  const floorStarted = performance.now();
  let next = 0;
  // As many at a time as a reconcile writes one hundred's seqs.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < puts.length) {
        const put = puts[next++];
        if (put) await engine.client.send(new PutItemCommand(put));
      }
    }),
  );
  floorMs = performance.now() - floorStarted;
}
await engine.close();
const report: ReconcileChildReport = {
  messages: config.messages,
  recovered: summary.recovered,
  reconcileMs,
  heapStartMB,
  heapPeakMB,
  ...(floorMs === undefined ? {} : { floorMs }),
};
writeSync(3, JSON.stringify(report));
process.exit(0);
