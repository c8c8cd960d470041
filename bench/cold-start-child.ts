/**
 * One cold start, run in a fresh Node process as Lambda's runtime would: load the bundle (INIT),
 * serve one invocation, and write the timings to file descriptor 3 as JSON. The function's own
 * log lines go to stdout, which the benchmark discards.
 *
 * Usage: node bench/cold-start-child.ts <bundle URL> <handler name> <event file> <limits JSON>
 */
import { readFileSync, writeSync } from 'node:fs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { type FunctionLimits, lambdaContext } from '../local/lambda-context.ts';

/** A Lambda handler as the bundle exports it. */
type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** What one cold start measured. */
export interface ColdStartRun {
  /** Node's own start, until this script began loading the bundle. */
  readonly bootMs: number;
  /** Loading and evaluating the bundle: Lambda's INIT phase. */
  readonly initMs: number;
  /** The first invocation, storage round trip included. */
  readonly firstInvokeMs: number;
  /** CPU time (user + system) of INIT and the first invocation. */
  readonly cpuMs: number;
  /** When INIT began and the first invocation ended, in the CPU profiler's clock (µs). */
  readonly windowUs: readonly [number, number];
  /** The answer's status, to prove the invocation succeeded. */
  readonly statusCode: number | undefined;
  /** The answer's body. */
  readonly body: string | undefined;
}

/** Now in µs on the monotonic clock that V8's CPU profiler stamps its samples with. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const [bundleUrl = '', handlerName = 'handler', eventFile = '', limits = '{}'] =
  process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8')) as APIGatewayProxyEventV2;
const context = lambdaContext(event.requestContext.requestId, JSON.parse(limits) as FunctionLimits);

const cpuBefore = process.cpuUsage();
const loadingUs = monotonicUs();
const loading = performance.now();
const loaded = (await import(bundleUrl)) as Record<string, Handler>;
const invoking = performance.now();
const handler = loaded[handlerName];
if (!handler) throw new Error(`the bundle exports no ${handlerName}`);
const result = await handler(event, context);
const done = performance.now();
const doneUs = monotonicUs();
const cpu = process.cpuUsage(cpuBefore);

const run: ColdStartRun = {
  bootMs: loading,
  initMs: invoking - loading,
  firstInvokeMs: done - invoking,
  cpuMs: (cpu.user + cpu.system) / 1000,
  windowUs: [loadingUs, doneUs],
  statusCode: result.statusCode,
  body: result.body,
};
writeSync(3, JSON.stringify(run));
// The SDK keeps its connection open; Lambda would freeze the process here.
process.exit(0);
