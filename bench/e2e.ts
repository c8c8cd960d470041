/**
 * End to end: OpenIM's requests through `npm start`'s HTTP server (the same handler, on the
 * embedded engine with its data on disk) at a fixed number of requests in flight, against the
 * floor: a raw `PutItem` of the same item into the same engine at the same concurrency. A second
 * floor adds the receiver's condition to that put, to tell the engine's cost of the condition from
 * the cost of the HTTP layer and the handler. Windows of the three alternate, so all see the same
 * machine and the same growing table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { FIRST_WRITE_ONLY } from '../lambda/archive-store.ts';
import {
  type AfterSendSingleMsg,
  afterSendSingleMsg,
} from '../lambda/callbacks/after-send-single-msg.ts';
import { LOCAL_AWS } from '../local/local-engine.ts';
import { REPO_ROOT } from './bundles.ts';
import {
  BENCH_CREDENTIALS,
  CALLBACK_PATH,
  messageBody,
  messageFields,
  requestHeaders,
  SUCCESS_BODY,
} from './openim-traffic.ts';
import { progress } from './progress.ts';
import { median, percentile } from './stats.ts';

/** The table `npm start` creates. */
const TABLE_NAME = 'openim-messages';

/**
 * What a window sends: OpenIM's request to the receiver, a raw `PutItem` of the same item (the
 * floor), or that put with the receiver's `attribute_not_exists` condition.
 */
export type LoadKind = 'receiver' | 'floor' | 'conditionalFloor';

/** One timed window at a fixed concurrency. */
export interface LoadWindow {
  readonly kind: LoadKind;
  readonly messages: number;
  readonly msgsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** All windows at one concurrency. */
export interface ConcurrencyResult {
  readonly concurrency: number;
  readonly receiver: LoadWindow[];
  readonly floor: LoadWindow[];
  readonly conditionalFloor: LoadWindow[];
}

/** What the end-to-end benchmark measured. */
export interface EndToEndResult {
  readonly levels: ConcurrencyResult[];
  /** One stored record, as the receiver wrote it, for the cost model. */
  readonly storedItem: Record<string, AttributeValue>;
  /** How long `npm start` took to print its banner. */
  readonly startupMs: number;
  /**
   * CPU time dynalite spends validating and parsing the receiver's `ConditionExpression` for each
   * put, in µs: engine work on the receiver's path that the floor's unconditional put skips.
   */
  readonly engineConditionUs: number;
}

/** Options for {@link measureEndToEnd}. */
export interface EndToEndOptions {
  readonly concurrencies: readonly number[];
  /** Alternating windows per kind, per concurrency. */
  readonly rounds: number;
  readonly windowMs: number;
  /** Unmeasured load per kind before the windows of each concurrency. */
  readonly warmupMs: number;
  /**
   * Unmeasured load per kind, at the highest concurrency, before anything is measured: the
   * receiver's process takes several thousand messages to reach steady speed (V8 optimizing the
   * handler, the SDK and the engine), which 2 in flight would take ten seconds or more to send.
   */
  readonly steadyWarmupMs: number;
}

/** A TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}

/** Starts `node local/start.ts` (what `npm start` runs); resolves with its URL from the banner. */
async function startReceiver(
  dataDir: string,
  dynamoPort: number,
  logFile: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<{ child: ChildProcess; url: string }> {
  // Its log lines go to a file, as to a terminal: written synchronously, never back-pressured.
  const log = await open(logFile, 'w');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'local', 'start.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DYNAMODB_PORT: String(dynamoPort),
      DATA_DIR: dataDir,
      TABLE_NAME,
      WEBHOOK_CREDENTIALS: BENCH_CREDENTIALS,
      ...extraEnv,
    },
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await readFile(logFile, 'utf8');
    const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
    if (url) return { child, url };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops the receiver as Ctrl-C would, and waits for it to exit. */
async function stopReceiver(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Posts one OpenIM request; resolves when the whole answer is read, after checking it. */
function postCallback(agent: Agent, url: URL, n: number): Promise<void> {
  const body = messageBody(n, 'e');
  const headers = requestHeaders(body, String(messageFields(n, 'e').operationID));
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, method: 'POST', path: CALLBACK_PATH, headers },
      (response) => {
        let answer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          answer += chunk;
        });
        response.on('end', () => {
          if (response.statusCode === 200 && answer === SUCCESS_BODY) resolve();
          else reject(new Error(`the receiver answered ${response.statusCode}: ${answer}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The item the receiver stores for the n-th message, built by the receiver's own record code. */
export function storedItemFor(n: number, run: string): Record<string, AttributeValue> {
  const message = messageFields(n, run) as unknown as AfterSendSingleMsg;
  return marshall(afterSendSingleMsg.toRecord(message, { receivedAt: Date.now() }), {
    removeUndefinedValues: true,
  });
}

/**
 * Times dynalite's own expression validation (its PEG parser) on the receiver's condition, the
 * step each conditional put costs the engine: the median of 5 batches, in µs per put.
 */
export function measureEngineCondition(batch = 2_000): number {
  const require = createRequire(import.meta.url);
  const { validateExpressions } = require('dynalite/validations/index.js') as {
    validateExpressions(data: Record<string, unknown>): string | undefined;
  };
  const batches: number[] = [];
  for (let round = 0; round < 6; round++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < batch; i++) {
      const problem = validateExpressions({
        ...FIRST_WRITE_ONLY,
        ExpressionAttributeNames: { ...FIRST_WRITE_ONLY.ExpressionAttributeNames },
      });
      if (problem) throw new Error(`dynalite refused the receiver's condition: ${problem}`);
    }
    const used = process.cpuUsage(cpu);
    // The first batch only warms the parser up.
    if (round > 0) batches.push((used.user + used.system) / batch);
  }
  return median(batches);
}

/** Runs `task` with `concurrency` in flight for `ms`; counts completions and their latencies. */
async function closedLoop(
  concurrency: number,
  ms: number,
  next: () => number,
  task: (n: number) => Promise<void>,
): Promise<{ messages: number; elapsedMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const sent = performance.now();
      await task(next());
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { messages: latencies.length, elapsedMs: performance.now() - started, latencies };
}

/** Measures the receiver and the floor at each concurrency, in alternating windows. */
export async function measureEndToEnd({
  concurrencies,
  rounds,
  windowMs,
  warmupMs,
  steadyWarmupMs,
}: EndToEndOptions): Promise<EndToEndResult> {
  const workDir = await mkdtemp(join(tmpdir(), 'openim-bench-e2e-'));
  const dataDir = join(workDir, 'data');
  await mkdir(dataDir);
  const dynamoPort = await freePort();
  const starting = performance.now();
  const { child, url } = await startReceiver(dataDir, dynamoPort, join(workDir, 'receiver.log'));
  const startupMs = performance.now() - starting;
  progress(
    `  npm start is up at ${url} after ${startupMs.toFixed(0)} ms (engine on ${dynamoPort})`,
  );
  const target = new URL(url);
  const floorClient = new DynamoDBClient({
    ...LOCAL_AWS,
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    maxAttempts: 1,
  });
  let n = 0;
  const next = () => n++;
  const levels: ConcurrencyResult[] = [];
  const kindsAt = (agent: Agent): Record<LoadKind, (i: number) => Promise<void>> => ({
    receiver: (i) => postCallback(agent, target, i),
    floor: async (i) => {
      await floorClient.send(
        new PutItemCommand({ TableName: TABLE_NAME, Item: storedItemFor(i, 'f') }),
      );
    },
    conditionalFloor: async (i) => {
      await floorClient.send(
        new PutItemCommand({
          TableName: TABLE_NAME,
          Item: storedItemFor(i, 'k'),
          ...FIRST_WRITE_ONLY,
        }),
      );
    },
  });
  try {
    const busiest = Math.max(...concurrencies);
    const warmAgent = new Agent({ keepAlive: true, maxSockets: busiest });
    for (const [kind, run] of Object.entries(kindsAt(warmAgent))) {
      const { messages } = await closedLoop(busiest, steadyWarmupMs, next, run);
      progress(`  warm-up: ${messages} messages through the ${kind} at ${busiest} in flight`);
    }
    warmAgent.destroy();
    for (const concurrency of concurrencies) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const kinds = kindsAt(agent);
      for (const run of Object.values(kinds)) await closedLoop(concurrency, warmupMs, next, run);
      const result: ConcurrencyResult = {
        concurrency,
        receiver: [],
        floor: [],
        conditionalFloor: [],
      };
      const kindOrder: LoadKind[] = ['receiver', 'floor', 'conditionalFloor'];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? kindOrder : [...kindOrder].reverse();
        for (const kind of order) {
          const { messages, elapsedMs, latencies } = await closedLoop(
            concurrency,
            windowMs,
            next,
            kinds[kind],
          );
          result[kind].push({
            kind,
            messages,
            msgsPerSec: (messages / elapsedMs) * 1000,
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
          });
        }
      }
      agent.destroy();
      levels.push(result);
      const rate = (windows: LoadWindow[]) => median(windows.map((w) => w.msgsPerSec)).toFixed(0);
      progress(
        `  ${concurrency} in flight: receiver ${rate(result.receiver)} msg/s (p99 ${median(result.receiver.map((w) => w.p99Ms)).toFixed(1)} ms), floor ${rate(result.floor)} msg/s, with the condition ${rate(result.conditionalFloor)} msg/s`,
      );
    }
    // One record exactly as the receiver stored it: message 0 of the first warm-up.
    const { Item } = await floorClient.send(
      new GetItemCommand({
        TableName: TABLE_NAME,
        Key: { serverMsgID: { S: String(messageFields(0, 'e').serverMsgID) } },
      }),
    );
    if (!Item) throw new Error('the receiver did not store message 0');
    return { levels, storedItem: Item, startupMs, engineConditionUs: measureEngineCondition() };
  } finally {
    floorClient.destroy();
    await stopReceiver(child);
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A CPU profile of `npm start` under load, and the window of it that was measured. */
export interface ReceiverProfile {
  readonly file: string;
  readonly windowUs: readonly [number, number];
  readonly messages: number;
}

/** Now in µs on the monotonic clock that V8's CPU profiler stamps its samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Runs `npm start` under `node --cpu-prof`, warms it up, and loads it at `concurrency` for `windowMs`. */
export async function profileReceiver({
  concurrency,
  windowMs,
  warmupMs,
  profileDir,
  interval,
}: {
  readonly concurrency: number;
  readonly windowMs: number;
  readonly warmupMs: number;
  readonly profileDir: string;
  /** The `--cpu-prof-interval=…` option. */
  readonly interval: string;
}): Promise<ReceiverProfile> {
  const workDir = await mkdtemp(join(tmpdir(), 'openim-bench-e2e-'));
  const dataDir = join(workDir, 'data');
  await mkdir(dataDir);
  const name = 'receiver.cpuprofile';
  const { child, url } = await startReceiver(
    dataDir,
    await freePort(),
    join(workDir, 'receiver.log'),
    { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} --cpu-prof-name=${name} ${interval}` },
  );
  // Warmed up at 32 in flight, which reaches steady speed in seconds (see `steadyWarmupMs`).
  const warmConcurrency = Math.max(concurrency, 32);
  const agent = new Agent({ keepAlive: true, maxSockets: warmConcurrency });
  const target = new URL(url);
  let n = 0;
  try {
    const post = (i: number) => postCallback(agent, target, i);
    await closedLoop(warmConcurrency, warmupMs, () => n++, post);
    const startUs = monotonicUs();
    const { messages } = await closedLoop(concurrency, windowMs, () => n++, post);
    return { file: join(profileDir, name), windowUs: [startUs, monotonicUs()], messages };
  } finally {
    agent.destroy();
    await stopReceiver(child);
    await rm(workDir, { recursive: true, force: true });
  }
}
