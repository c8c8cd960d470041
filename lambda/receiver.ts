/**
 * The receiver: a middy chain around one small function. Parsing, command resolution, validation
 * and record building are pure; storage sits behind {@link MessageStore}. `handler.ts` wires the
 * real AWS clients; tests and the local server call {@link createHandler} with their own.
 */

import type { BlockList } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { assertCallbackCommand } from './callback-command.ts';
import { type FieldProblems, MAX_ID_BYTES, validateCallback } from './callback-schema.ts';
import type { MessageFallback } from './message-fallback.ts';
import type { MessageRecord } from './message-record.ts';
import {
  largestFields,
  MAX_ITEM_BYTES,
  recordSizeBytes,
  toMessageRecord,
} from './message-record.ts';
import type { MessageStore, PutOutcome } from './message-store.ts';
import {
  callbackError,
  INTERNAL_ERROR_MESSAGE,
  openimErrorBody,
  successResponse,
} from './openim-response.ts';
import { count, countRejections, MetricName, recordStorageLatency } from './receiver-metrics.ts';
import { sourceIpAllowlist } from './source-allowlist.ts';
import { type CredentialSource, webhookAuth } from './webhook-auth.ts';

/** What the receiver needs from its surroundings. */
export interface ReceiverDependencies {
  /** Where messages are stored. */
  readonly store: MessageStore;
  /** Where a message goes when the store fails. @default undefined (nowhere: it is lost) */
  readonly fallback?: MessageFallback | undefined;
  /** The Basic credentials OpenIM must present. @default undefined (no check) */
  readonly credentials?: CredentialSource | undefined;
  /** Source addresses allowed to post. @default undefined (any) */
  readonly allowedSources?: BlockList | undefined;
  /** Structured logger; message content is never passed to it. */
  readonly logger: Logger;
  /** CloudWatch metrics (EMF). @default undefined (nothing is counted) */
  readonly metrics?: Metrics | undefined;
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

/** An error's class name, the only part of an error that is safe to log. */
function errorNameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The IDs that tie a log line to a message: `operationID` (from the body, or OpenIM's `Operationid`
 * header before the body is read) and `serverMsgID`, when they are short strings.
 */
function traceKeys(
  body: unknown,
  headers: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const keys: Record<string, string> = {};
  const operationID = fields.operationID ?? headers.operationid;
  for (const [name, value] of [
    ['operationID', operationID],
    ['serverMsgID', fields.serverMsgID],
  ] as const) {
    if (typeof value === 'string' && value !== '' && value.length <= MAX_ID_BYTES)
      keys[name] = value;
  }
  return keys;
}

/** `field: problem, problem; field: problem`, for `errDlt`. */
function describeProblems(problems: FieldProblems): string {
  return Object.entries(problems)
    .map(([field, messages]) => `${field}: ${messages.join(', ')}`)
    .join('; ');
}

/** Builds the receiver's Lambda handler around the given dependencies. */
export function createHandler({
  store,
  fallback,
  credentials,
  allowedSources,
  logger,
  metrics,
  now = Date.now,
  ttlDays,
}: ReceiverDependencies): ReceiverHandler {
  const counted = (name: string) => metrics && count(metrics, name);

  /** Keeps a record the table did not take; false if there is no fallback or it failed too. */
  const keepInFallback = async (record: MessageRecord): Promise<boolean> => {
    if (!fallback) return false;
    try {
      await fallback.keep(record);
      counted(MetricName.fallbackWrite);
      return true;
    } catch (error) {
      logger.error('Writing to the fallback failed', { errorName: errorNameOf(error) });
      return false;
    }
  };

  /** Stores the record; if the table fails, keeps it in the fallback and answers 503 either way. */
  const storeOrKeep = async (record: MessageRecord): Promise<PutOutcome> => {
    const started = performance.now();
    try {
      const outcome = await store.put(record);
      if (metrics) recordStorageLatency(metrics, performance.now() - started);
      counted(outcome === 'stored' ? MetricName.stored : MetricName.duplicate);
      return outcome;
    } catch (error) {
      logger.error('Storing the message failed', { errorName: errorNameOf(error) });
      if (await keepInFallback(record)) {
        logger.warn('Message kept in the fallback for replay');
        throw callbackError(
          503,
          'The message could not be stored in the table',
          'it was kept in the fallback and will be stored by a replay',
        );
      }
      logger.critical('Message lost: it could not be stored or kept');
      counted(MetricName.lost);
      throw callbackError(503, 'The message could not be stored', 'storage is unavailable');
    }
  };

  const receive = async (event: ParsedEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.appendKeys(traceKeys(event.body));
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

    const record = toMessageRecord(message, { receivedAt: now(), ttlDays });
    const size = recordSizeBytes(record);
    if (size > MAX_ITEM_BYTES) {
      throw callbackError(
        413,
        `The message takes ${size} bytes; one record holds at most ${MAX_ITEM_BYTES}`,
        `largest fields: ${largestFields(record).join(', ')}`,
      );
    }

    const outcome = await storeOrKeep(record);
    // Stored messages are counted by the MessagesStored metric; one INFO line each would cost more
    // than the rest of the invocation (see BENCHMARKS.md). Duplicates stay visible at INFO.
    if (outcome === 'stored') logger.debug('Message stored');
    else logger.info('Duplicate delivery; already stored');
    return successResponse();
  };

  const chain = middy<ParsedEvent, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({ before: (request) => logger.appendKeys(traceKeys(undefined, request.event.headers)) });
  if (metrics) {
    // No ColdStart metric: Lambda reports each INIT's duration itself, and nothing here reads it.
    chain.use(logMetrics(metrics)).use(countRejections(metrics));
  }
  chain.use(openimErrorBody(logger)).use(httpHeaderNormalizer());
  // Who may post is settled before the body is even parsed.
  if (allowedSources) chain.use(sourceIpAllowlist(allowedSources) as MiddlewareObj<ParsedEvent>);
  if (credentials) chain.use(webhookAuth(credentials) as MiddlewareObj<ParsedEvent>);
  return chain
    .use(httpJsonBodyParser())
    .use(httpErrorHandler({ logger: false, fallbackMessage: INTERNAL_ERROR_MESSAGE }))
    .handler(receive) as unknown as ReceiverHandler;
}
