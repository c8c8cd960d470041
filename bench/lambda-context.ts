/**
 * The context Lambda passes to the handler. It imports nothing, so that the cold-start child can
 * use it without loading any module before the bundle it measures.
 */
import type { Context } from 'aws-lambda';

/** The context for one invocation of a function of `memoryMB`. */
export function lambdaContext(requestId: string, memoryMB: number | string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'openim-callback-receiver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:openim-callback-receiver',
    memoryLimitInMB: String(memoryMB),
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/openim-callback-receiver',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 3000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
