/**
 * Warm invocations in one process, as a Lambda execution environment serves them: one at a time,
 * back to back. Loads the bundles named in the JSON config (first argument) and, by `mode`:
 *
 * - `compare`: alternates timed windows between the bundles, reporting invocations per second and
 *   CPU time per invocation for each window;
 * - `leak`: runs one bundle for a long series after a warm-up, reporting RSS and heap after a full
 *   GC at checkpoints (needs `--expose-gc`);
 * - `profile`: runs each bundle for one window, reporting when each window began and ended on the
 *   clock of V8's CPU profiler, for a child started with `--cpu-prof`.
 *
 * Results go to file descriptor 3 as JSON; the functions' log lines go to stdout.
 */
import { writeSync } from 'node:fs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { type FunctionLimits, lambdaContext } from '../local/lambda-context.ts';
import { reportProgress } from './child.ts';
import { callbackEvent, SUCCESS_BODY } from './openim-traffic.ts';

/** A bundle to load. */
export interface WarmBundle {
  readonly name: string;
  readonly url: string;
  readonly handlerName: string;
}

/** The child's configuration. */
export type WarmConfig = {
  readonly bundles: readonly WarmBundle[];
  readonly limits: FunctionLimits;
  /** Time each bundle runs before anything is measured, in ms. */
  readonly warmupMs: number;
} & (
  | { readonly mode: 'compare'; readonly rounds: number; readonly windowMs: number }
  | { readonly mode: 'leak'; readonly warmupInvocations: number; readonly checkpoints: number[] }
  | { readonly mode: 'profile'; readonly windowMs: number }
);

/** One timed window of one bundle. */
export interface WarmWindow {
  readonly name: string;
  readonly invocations: number;
  readonly opsPerSec: number;
  /** CPU time (user + system) per invocation, in µs. */
  readonly cpuUsPerInvocation: number;
}

/** Memory after a full GC, after `invocations` measured invocations. */
export interface MemoryCheckpoint {
  readonly invocations: number;
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  readonly externalMB: number;
}

/** One bundle's window in a profiled run, on the profiler's clock (µs). */
export interface ProfiledWindow {
  readonly name: string;
  readonly windowUs: readonly [number, number];
  readonly invocations: number;
}

/** What the child reports. */
export interface WarmReport {
  readonly windows?: WarmWindow[];
  readonly checkpoints?: MemoryCheckpoint[];
  readonly profileWindows?: ProfiledWindow[];
  /** Every invocation of each bundle, warm-up included (to divide its log output by). */
  readonly invocationsByName: Record<string, number>;
  readonly measuredMs: number;
}

/** A Lambda handler as a bundle exports it. */
type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const config = JSON.parse(process.argv[2] ?? '{}') as WarmConfig;

/** Distinct requests, cycled; each invocation gets its own copy, as the parsers rewrite events. */
const POOL = Array.from({ length: 512 }, (_, i) => callbackEvent(i, 'w'));
const context = lambdaContext('warm', config.limits);
let next = 0;
const invocationsByName: Record<string, number> = {};

/** A fresh copy of the next request's event. */
function nextEvent(): APIGatewayProxyEventV2 {
  const event = POOL[next++ % POOL.length] as APIGatewayProxyEventV2;
  return { ...event, headers: { ...event.headers } };
}

/** Invokes `handler` once and checks that it answered OpenIM's success. */
async function invoke(name: string, handler: Handler): Promise<void> {
  invocationsByName[name] = (invocationsByName[name] ?? 0) + 1;
  const result = await handler(nextEvent(), context);
  if (result.statusCode !== 200 || result.body !== SUCCESS_BODY) {
    throw new Error(`${name} answered ${result.statusCode}: ${result.body}`);
  }
}

/** Invokes `handler` back to back for at least `ms`; invocations and CPU time taken. */
async function runFor(name: string, handler: Handler, ms: number) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let invocations = 0;
  do {
    for (let i = 0; i < 20; i++) await invoke(name, handler);
    invocations += 20;
  } while (performance.now() - started < ms);
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { invocations, elapsedMs: elapsed, cpuUs: cpu.user + cpu.system };
}

/** Invokes `handler` exactly `count` times. */
async function runCount(name: string, handler: Handler, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await invoke(name, handler);
}

/** Memory after two full collections. */
function measureMemory(invocations: number): MemoryCheckpoint {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('leak mode needs --expose-gc');
  gc();
  gc();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const mb = (bytes: number) => bytes / 2 ** 20;
  return {
    invocations,
    rssMB: mb(rss),
    heapUsedMB: mb(heapUsed),
    heapTotalMB: mb(heapTotal),
    externalMB: mb(external),
  };
}

/** Now in µs on the monotonic clock that V8's CPU profiler stamps its samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const handlers: [string, Handler][] = [];
for (const bundle of config.bundles) {
  const loaded = (await import(bundle.url)) as Record<string, Handler>;
  const handler = loaded[bundle.handlerName];
  if (!handler) throw new Error(`${bundle.name} exports no ${bundle.handlerName}`);
  handlers.push([bundle.name, handler]);
}
for (const [name, handler] of handlers) await runFor(name, handler, config.warmupMs);

const measuring = performance.now();
const report: { -readonly [K in keyof WarmReport]: WarmReport[K] } = {
  invocationsByName,
  measuredMs: 0,
};
if (config.mode === 'compare') {
  report.windows = [];
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? handlers : [...handlers].reverse();
    for (const [name, handler] of order) {
      const { invocations, elapsedMs, cpuUs } = await runFor(name, handler, config.windowMs);
      report.windows.push({
        name,
        invocations,
        opsPerSec: (invocations / elapsedMs) * 1000,
        cpuUsPerInvocation: cpuUs / invocations,
      });
    }
  }
} else if (config.mode === 'leak') {
  const [name, handler] = handlers[0] as [string, Handler];
  await runCount(name, handler, config.warmupInvocations);
  report.checkpoints = [measureMemory(0)];
  let done = 0;
  for (const checkpoint of config.checkpoints) {
    await runCount(name, handler, checkpoint - done);
    done = checkpoint;
    const memory = measureMemory(done);
    report.checkpoints.push(memory);
    reportProgress(
      `${done} invocations: RSS ${memory.rssMB.toFixed(1)} MB, heap ${memory.heapUsedMB.toFixed(2)} MB`,
    );
  }
} else {
  report.profileWindows = [];
  for (const [name, handler] of handlers) {
    const startUs = monotonicUs();
    const { invocations } = await runFor(name, handler, config.windowMs);
    report.profileWindows.push({ name, windowUs: [startUs, monotonicUs()], invocations });
  }
}
report.measuredMs = performance.now() - measuring;
writeSync(3, JSON.stringify(report));
process.exit(0);
