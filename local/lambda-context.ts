/**
 * The context Lambda passes to the handler, for every place that calls the handler outside Lambda:
 * `npm start`, the tests and the benchmark. It imports only the limits, which import nothing, so
 * that the benchmark's cold-start child loads almost nothing before the bundle it measures.
 */
import type { Context } from 'aws-lambda';
import { DEPLOYED_LIMITS, type FunctionLimits } from '../infra/function-limits.ts';

export type { FunctionLimits };

/** The context for one invocation, just started, of a function with `limits`. */
export function lambdaContext(
  requestId: string,
  { memoryMB, timeoutSeconds }: FunctionLimits = DEPLOYED_LIMITS,
): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'openim-callback-receiver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:openim-callback-receiver',
    memoryLimitInMB: String(memoryMB),
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/openim-callback-receiver',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => timeoutSeconds * 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
