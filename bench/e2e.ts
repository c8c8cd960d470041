/**
 * End to end: OpenIM's requests through `npm start` (the same handler, on the embedded engine with
 * its data on disk) at a fixed number of requests in flight, against the floor: a raw `PutItem` of
 * the same item into the same engine at the same concurrency. A second floor adds the receiver's
 * condition to that put, to tell the engine's price for the condition from the HTTP layer's and the
 * handler's. Windows of the three alternate, so all see the same machine and the same growing table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../local/local-engine.ts';
import { LOCAL_DEFAULTS } from '../local/local-settings.ts';
import { itemBytes } from '../test/support/item-size.ts';
import { postCallback, startNpmStart } from './npm-start.ts';
import { benchMessage } from './openim-traffic.ts';
import { progress } from './progress.ts';
import { FIRST_WRITE_ONLY, storedItemOf } from './receiver-code.ts';
import { median, percentile } from './stats.ts';

/** What a window sends: OpenIM's request, the floor's raw put, or that put with the condition. */
const KINDS = ['receiver', 'floor', 'conditionalFloor'] as const;

/** One timed window: its messages, their rate, and the median and 99th-percentile latency. */
export type LoadWindow = Awaited<ReturnType<typeof closedLoop>>;

/** All windows at one concurrency, by kind. */
export type ConcurrencyResult = { concurrency: number } & Record<Kind, LoadWindow[]>;
type Kind = (typeof KINDS)[number];

/** What the end-to-end benchmark measured. */
export type EndToEndResult = Awaited<ReturnType<typeof measureEndToEnd>>;

/**
 * Times dynalite's own validation (its PEG parser) of the receiver's condition, which each
 * conditional put costs the engine: the median of 5 batches after one warm-up, in µs per put.
 */
function measureEngineCondition(batch = 2_000): number {
  const require = createRequire(import.meta.url);
  const { validateExpressions } = require('dynalite/validations/index.js') as {
    validateExpressions(data: Record<string, unknown>): string | undefined;
  };
  const batches: number[] = [];
  for (let round = 0; round < 6; round++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < batch; i++) {
      // A fresh object each time: dynalite rewrites what it validates.
      const problem = validateExpressions(structuredClone(FIRST_WRITE_ONLY));
      if (problem) throw new Error(`dynalite refused the receiver's condition: ${problem}`);
    }
    const used = process.cpuUsage(cpu);
    if (round > 0) batches.push((used.user + used.system) / batch);
  }
  return median(batches);
}

let sent = 0;

/** Runs `task` on ever new message numbers, `concurrency` at a time, for `ms`. */
export async function closedLoop(
  concurrency: number,
  ms: number,
  task: (n: number) => Promise<void>,
) {
  const latencies: number[] = [];
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < started + ms) {
      const t = performance.now();
      await task(sent++);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const msgsPerSec = (latencies.length / (performance.now() - started)) * 1000;
  const [p50Ms, p99Ms] = [percentile(latencies, 50), percentile(latencies, 99)];
  return { messages: latencies.length, msgsPerSec, p50Ms, p99Ms };
}

/** Measures the receiver and both floors at each concurrency, in alternating windows. */
export async function measureEndToEnd(
  plan: Record<'rounds' | 'windowMs' | 'warmupMs' | 'steadyWarmupMs', number> & {
    readonly concurrencies: readonly number[];
  },
  nodeOptions: string,
) {
  const workDir = await mkdtemp(join(tmpdir(), 'openim-bench-e2e-'));
  const TableName = LOCAL_DEFAULTS.tableName;
  const starting = performance.now();
  const receiver = await startNpmStart(workDir, TableName, nodeOptions);
  const startupMs = performance.now() - starting;
  progress(`  npm start is up at ${receiver.url} after ${startupMs.toFixed(0)} ms`);
  // No retries: a put the engine refuses must fail the run, not slow the floor down.
  const floor = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: receiver.engineEndpoint,
    maxAttempts: 1,
  });
  const put = async (n: number, run: string, condition: object) => {
    const Item = storedItemOf(benchMessage(n, run));
    await floor.send(new PutItemCommand({ TableName, Item, ...condition }));
  };
  const tasks = (agent: Agent): Record<Kind, (n: number) => Promise<void>> => ({
    receiver: (n) => postCallback(agent, receiver.url, n),
    floor: (n) => put(n, 'f', {}),
    conditionalFloor: (n) => put(n, 'k', FIRST_WRITE_ONLY),
  });
  try {
    const busiest = Math.max(...plan.concurrencies);
    const warmAgent = new Agent({ keepAlive: true, maxSockets: busiest });
    for (const [kind, task] of Object.entries(tasks(warmAgent))) {
      const { messages } = await closedLoop(busiest, plan.steadyWarmupMs, task);
      progress(`  warm-up: ${messages} messages through the ${kind} at ${busiest} in flight`);
    }
    warmAgent.destroy();
    const levels: ConcurrencyResult[] = [];
    for (const concurrency of plan.concurrencies) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const run = tasks(agent);
      for (const task of Object.values(run)) await closedLoop(concurrency, plan.warmupMs, task);
      const level: ConcurrencyResult = {
        concurrency,
        receiver: [],
        floor: [],
        conditionalFloor: [],
      };
      for (let round = 0; round < plan.rounds; round++) {
        for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
          level[kind].push(await closedLoop(concurrency, plan.windowMs, run[kind]));
        }
      }
      agent.destroy();
      levels.push(level);
      const rates = KINDS.map(
        (k) => `${k} ${median(level[k].map((w) => w.msgsPerSec)).toFixed(0)}`,
      );
      progress(`  ${concurrency} in flight, msg/s: ${rates.join(', ')}`);
    }
    // One record exactly as the receiver stored it: message 0, the first of the warm-up.
    const key = { serverMsgID: { S: benchMessage(0, 'e').serverMsgID } };
    const { Item } = await floor.send(new GetItemCommand({ TableName, Key: key }));
    if (!Item) throw new Error('the receiver did not store message 0');
    const engineConditionUs = measureEngineCondition();
    return { levels, storedItemBytes: itemBytes(Item), startupMs, engineConditionUs };
  } finally {
    floor.destroy();
    await receiver.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
