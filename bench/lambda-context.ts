/**
 * The context Lambda passes to the handler. It imports nothing, so that the cold-start child can
 * use it without loading any module before the bundle it measures.
 */
import type { Context } from 'aws-lambda';

/** What the context says of the function, as the template sets it. */
export interface FunctionLimits {
  readonly memoryMB: number;
  readonly timeoutSeconds: number;
}

/** The context for one invocation, just started, of a function with `limits`. */
export function lambdaContext(
  requestId: string,
  { memoryMB, timeoutSeconds }: FunctionLimits,
): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'openim-callback-receiver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:openim-callback-receiver',
    memoryLimitInMB: String(memoryMB),
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/openim-callback-receiver',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => timeoutSeconds * 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
