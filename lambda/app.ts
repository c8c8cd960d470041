/**
 * The receiver: a middy chain around one small function. Parsing, command resolution, validation
 * and record building are pure; storage sits behind {@link MessageStore}. `handler.ts` wires the
 * real AWS clients; tests and the local server call {@link createHandler} with their own.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { assertCallbackCommand } from './callback-command.ts';
import { type FieldProblems, validateCallback } from './callback-schema.ts';
import {
  largestFields,
  MAX_ITEM_BYTES,
  recordSizeBytes,
  toMessageRecord,
} from './message-record.ts';
import type { MessageStore } from './message-store.ts';
import {
  callbackError,
  INTERNAL_ERROR_MESSAGE,
  openimErrorBody,
  successResponse,
} from './openim-response.ts';

/** What the receiver needs from its surroundings. */
export interface ReceiverDependencies {
  /** Where messages are stored. */
  readonly store: MessageStore;
  /** Structured logger; message content is never passed to it. */
  readonly logger: Logger;
  /** The clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Days to keep each record before DynamoDB's TTL deletes it. @default undefined (forever) */
  readonly ttlDays?: number | undefined;
}

/** An HTTP API (payload v2) event once the JSON body parser has run. */
export type ParsedEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body: unknown };

/** The Lambda handler type: an HTTP API v2 event in, an OpenIM-shaped response out. */
export type ReceiverHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** `field: problem, problem; field: problem`, for `errDlt`. */
function describeProblems(problems: FieldProblems): string {
  return Object.entries(problems)
    .map(([field, messages]) => `${field}: ${messages.join(', ')}`)
    .join('; ');
}

/** Builds the receiver's Lambda handler around the given dependencies. */
export function createHandler({
  store,
  logger,
  now = Date.now,
  ttlDays,
}: ReceiverDependencies): ReceiverHandler {
  const receive = async (event: ParsedEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    assertCallbackCommand(event);
    const validation = validateCallback(event.body);
    if (!validation.ok) {
      throw callbackError(
        400,
        'The callback body is invalid',
        describeProblems(validation.problems),
      );
    }
    const { message } = validation;
    logger.appendKeys({ operationID: message.operationID, serverMsgID: message.serverMsgID });

    const record = toMessageRecord(message, { receivedAt: now(), ttlDays });
    const size = recordSizeBytes(record);
    if (size > MAX_ITEM_BYTES) {
      throw callbackError(
        413,
        `The message takes ${size} bytes; one record holds at most ${MAX_ITEM_BYTES}`,
        `largest fields: ${largestFields(record).join(', ')}`,
      );
    }

    let outcome: Awaited<ReturnType<MessageStore['put']>>;
    try {
      outcome = await store.put(record);
    } catch (error) {
      logger.error('Storing the message failed', {
        errorName: error instanceof Error ? error.name : typeof error,
      });
      throw callbackError(503, 'The message could not be stored', 'storage is unavailable');
    }
    logger.info(outcome === 'stored' ? 'Message stored' : 'Duplicate delivery; already stored');
    return successResponse();
  };

  return middy<ParsedEvent, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(openimErrorBody(logger))
    .use(httpHeaderNormalizer())
    .use(httpJsonBodyParser())
    .use(httpErrorHandler({ logger: false, fallbackMessage: INTERNAL_ERROR_MESSAGE }))
    .handler(receive) as unknown as ReceiverHandler;
}
