/**
 * One cold start in a fresh Node process, as Lambda's runtime does it: load the bundle (INIT),
 * serve one invocation, and write the timings to fd 3 as JSON. It imports nothing at run time but
 * the context module and the limits, so nothing else is loaded before the bundle it measures.
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

type Handler = (
  e: APIGatewayProxyEventV2,
  c: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const [bundleUrl = '', handlerName = 'handler', eventFile = '', limits = '{}'] =
  process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8')) as APIGatewayProxyEventV2;
const context = lambdaContext(event.requestContext.requestId, JSON.parse(limits) as FunctionLimits);

const cpuBefore = process.cpuUsage();
const loading = performance.now();
const handler = ((await import(bundleUrl)) as Record<string, Handler>)[handlerName];
const invoking = performance.now();
if (!handler) throw new Error(`the bundle exports no ${handlerName}`);
const { statusCode, body } = await handler(event, context);
const done = performance.now();
const cpu = process.cpuUsage(cpuBefore);

const run = {
  // Loading and evaluating the bundle, Lambda's INIT; then the first invocation, storage included.
  initMs: invoking - loading,
  firstInvokeMs: done - invoking,
  cpuMs: (cpu.user + cpu.system) / 1000,
  // The answer, to prove the invocation succeeded.
  statusCode,
  body,
};

/** What one cold start measured, in ms, and the answer. */
export type ColdStartRun = typeof run;
writeSync(3, JSON.stringify(run));
// The SDK keeps its connection open; Lambda would freeze the process here.
process.exit(0);
