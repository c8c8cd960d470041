/**
 * The context Lambda passes to the handler, for every place that calls the handler outside Lambda:
 * `npm start`, the tests and the benchmark. It imports nothing at run time, so that the benchmark's
 * cold-start child can use it without loading any module before the bundle it measures.
 */
import type { Context } from 'aws-lambda';

/** What the context says of the function, as the template sets it. */
export interface FunctionLimits {
  readonly memoryMB: number;
  readonly timeoutSeconds: number;
}

/** The deployed function's limits (see `infra/receiver-function.ts`). */
export const DEPLOYED_LIMITS: FunctionLimits = { memoryMB: 512, timeoutSeconds: 4 };

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
