/**
 * Warm invocations in one process, one at a time and back to back, as a Lambda execution
 * environment serves them. In `compare` mode the bundles alternate in timed windows (forward, then
 * backward); in `leak` mode the first bundle runs a long series, with memory read after full
 * collections (`--expose-gc`). The report goes to fd 3 as JSON; the functions' logs to stdout.
 */
import { writeSync } from 'node:fs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { type FunctionLimits, lambdaContext } from '../local/lambda-context.ts';
import { reportProgress } from './child.ts';
import { callbackEvent } from './openim-traffic.ts';

/** What to measure: alternating windows, or memory over a long series. */
export type WarmMode =
  | { mode: 'compare'; warmupMs: number; rounds: number; windowMs: number }
  | { mode: 'leak'; warmupInvocations: number; checkpoints: number[] };

/** The child's configuration (its first argument). */
export type WarmConfig = WarmMode & {
  readonly bundles: readonly { readonly name: string; readonly url: string }[];
  readonly handlerName: string;
  readonly limits: FunctionLimits;
  /** The body every invocation must answer with. */
  readonly successBody: string;
};

/** One timed window of one bundle; CPU time (user + system) in µs per invocation. */
export type WarmWindow = { name: string; opsPerSec: number; cpuUsPerInvocation: number };

/** Memory in MB after full collections, `invocations` into the measured series. */
export type MemoryCheckpoint = ReturnType<typeof measureMemory>;

/** What the child reports; `invocations` counts the warm-up too, to divide the log output by. */
export type WarmReport = {
  windows: WarmWindow[];
  checkpoints: MemoryCheckpoint[];
  invocations: number;
};

type Handler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyResultV2>;

const config = JSON.parse(process.argv[2] ?? '{}') as WarmConfig;
// Distinct requests, cycled, so that nothing keyed by message can make a handler look fast.
const POOL = Array.from({ length: 512 }, (_, i) => callbackEvent(i, 'w'));
const context = lambdaContext('warm', config.limits);
let invocations = 0;

/** Invokes `handler` once with a fresh copy of the next event (body parsers rewrite events). */
async function invoke(name: string, handler: Handler): Promise<void> {
  const event = POOL[invocations++ % POOL.length] as APIGatewayProxyEventV2;
  const result = await handler({ ...event, headers: { ...event.headers } }, context);
  if (typeof result !== 'object' || result.body !== config.successBody) {
    throw new Error(`${name} answered ${JSON.stringify(result)}`);
  }
}

/** Invokes `handler` back to back for at least `ms`; the window's rate and CPU per invocation. */
async function runFor(name: string, handler: Handler, ms: number): Promise<WarmWindow> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  for (; count < 20 || performance.now() - started < ms; count++) await invoke(name, handler);
  const cpu = process.cpuUsage(cpuBefore);
  const opsPerSec = (count / (performance.now() - started)) * 1000;
  return { name, opsPerSec, cpuUsPerInvocation: (cpu.user + cpu.system) / count };
}

/** Memory after two full collections. */
function measureMemory(invocations: number) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('leak mode needs --expose-gc');
  gc();
  gc();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const [rssMB, heapUsedMB, heapTotalMB, externalMB] = [rss, heapUsed, heapTotal, external].map(
    (bytes) => bytes / 2 ** 20,
  ) as [number, number, number, number];
  return { invocations, rssMB, heapUsedMB, heapTotalMB, externalMB };
}

const handlers: [string, Handler][] = [];
for (const { name, url } of config.bundles) {
  const handler = ((await import(url)) as Record<string, Handler>)[config.handlerName];
  if (!handler) throw new Error(`${name} exports no ${config.handlerName}`);
  handlers.push([name, handler]);
}

const report: WarmReport = { windows: [], checkpoints: [], invocations: 0 };
if (config.mode === 'compare') {
  for (const [name, handler] of handlers) await runFor(name, handler, config.warmupMs);
  for (let round = 0; round < config.rounds; round++) {
    for (const [name, handler] of round % 2 === 0 ? handlers : [...handlers].reverse()) {
      report.windows.push(await runFor(name, handler, config.windowMs));
    }
  }
} else {
  const [name, handler] = handlers[0] as [string, Handler];
  for (let i = 0; i < config.warmupInvocations; i++) await invoke(name, handler);
  report.checkpoints.push(measureMemory(0));
  let done = 0;
  for (const checkpoint of config.checkpoints) {
    for (; done < checkpoint; done++) await invoke(name, handler);
    report.checkpoints.push(measureMemory(done));
    reportProgress(`${done} invocations: RSS ${report.checkpoints.at(-1)?.rssMB.toFixed(1)} MB`);
  }
}
writeSync(3, JSON.stringify({ ...report, invocations }));
process.exit(0);
