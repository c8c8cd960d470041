/**
 * The receiver: a middy chain around one small function. Command resolution, validation and
 * record building are pure and declared per callback (`callbacks.ts`); storage sits behind
 * {@link ArchiveStore}. `handler.ts` wires the real AWS clients; tests and the local server call
 * {@link createHandler} with their own.
 */

import type { BlockList } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { ArchiveRecord, ArchiveStore, StoreResult } from './archive-store.ts';
import type { Callback } from './callback.ts';
import { resolveCallback, routeCommand } from './callback-command.ts';
import { callbackFor } from './callbacks.ts';
import type { MessageFallback } from './message-fallback.ts';
import { type FieldProblems, MAX_ID_BYTES, validateBody } from './message-fields.ts';
import { largestFields, MAX_RECORD_BYTES, recordSizeBytes } from './message-record.ts';
import {
  callbackError,
  INTERNAL_ERROR_MESSAGE,
  openimErrorBody,
  successResponse,
} from './openim-response.ts';
import {
  accountForRefusals,
  count,
  countUnder,
  MetricName,
  publishMetrics,
  recordStorageLatency,
} from './receiver-metrics.ts';
import { sourceIpAllowlist } from './source-allowlist.ts';
import { type CredentialSource, webhookAuth } from './webhook-auth.ts';

/** What the receiver needs from its surroundings. */
export interface ReceiverDependencies {
  /** Where callbacks are stored. */
  readonly store: ArchiveStore;
  /** Where a record goes when the store fails. @default undefined (nowhere: it is lost) */
  readonly fallback?: MessageFallback | undefined;
  /** The Basic credentials OpenIM must present. @default undefined (no check) */
  readonly credentials?: CredentialSource | undefined;
  /** Source addresses allowed to post. @default undefined (any) */
  readonly allowedSources?: BlockList | undefined;
  /** Where the allowlist is set, named in a 403. @default 'allowedSourceCidrs' (the CDK key) */
  readonly allowedSourcesSetting?: string | undefined;
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
  allowedSourcesSetting,
  logger,
  metrics,
  now = Date.now,
  ttlDays,
}: ReceiverDependencies): ReceiverHandler {
  const counted = (name: string) => metrics && count(metrics, name);

  /** Keeps a record the store did not take; false if there is no fallback or it failed too. */
  const keepInFallback = async (callback: Callback, record: ArchiveRecord): Promise<boolean> => {
    if (!fallback) return false;
    try {
      await fallback.keep({ callback: callback.command, record });
      counted(MetricName.fallbackWrite);
      return true;
    } catch (error) {
      logger.error('Writing to the fallback failed', { errorName: errorNameOf(error) });
      return false;
    }
  };

  /** Stores the record; if the store fails, keeps it in the fallback and answers 503 either way. */
  const storeOrKeep = async (callback: Callback, record: ArchiveRecord): Promise<StoreResult> => {
    const started = performance.now();
    try {
      const result = await callback.store(store, record);
      if (metrics) recordStorageLatency(metrics, performance.now() - started);
      counted(result.outcome === 'stored' ? MetricName.stored : MetricName.duplicate);
      return result;
    } catch (error) {
      logger.error('Storing the message failed', { errorName: errorNameOf(error) });
      const kept = await keepInFallback(callback, record);
      if (kept) logger.warn('Message kept in the fallback for replay');
      throw Object.assign(
        kept
          ? callbackError(
              503,
              'The message could not be stored in the table',
              'it was kept in the fallback and will be stored by a replay',
            )
          : callbackError(503, 'The message could not be stored', 'storage is unavailable'),
        { kept },
      );
    }
  };

  const receive = async (event: ParsedEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.appendKeys(traceKeys(event.body));
    const callback = resolveCallback(event);
    // A route that names the command has put the callback on the metrics already.
    if (metrics && routeCommand(event.routeKey) === undefined) {
      countUnder(metrics, callback.webhooksKey);
    }
    const validation = validateBody(callback.schema, event.body);
    if (!validation.ok) {
      throw callbackError(
        400,
        'The callback body is invalid',
        describeProblems(validation.problems),
      );
    }

    const record = callback.toRecord(validation.message, { receivedAt: now(), ttlDays });
    logger.appendKeys(callback.identify(record));
    const size = recordSizeBytes(record);
    if (size > MAX_RECORD_BYTES) {
      throw callbackError(
        413,
        `The message takes ${size} bytes; one record holds at most ${MAX_RECORD_BYTES}`,
        `largest fields: ${largestFields(record).join(', ')}`,
      );
    }

    const { outcome, seqConflict } = await storeOrKeep(callback, record);
    // Stored messages are counted by the MessagesStored metric; one INFO line each would cost more
    // than the rest of the invocation. Duplicates stay visible at INFO.
    if (outcome === 'stored') logger.debug('Message stored');
    else logger.info('Duplicate delivery; already stored');
    if (seqConflict) {
      // IDs only: both messages are kept, and docs/operations.md says what to do.
      logger.warn('Seq conflict: another message already holds this seq', { ...seqConflict });
      counted(MetricName.seqConflict);
    }
    return successResponse();
  };

  const chain = middy<ParsedEvent, APIGatewayProxyStructuredResultV2>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        logger.appendKeys(traceKeys(undefined, request.event.headers));
        // The route names the callback before the body is read, so that even a request refused
        // before then (an unverifiable one is a lost message) is counted under its callback.
        const command = routeCommand(request.event.routeKey ?? '');
        const callback = command === undefined ? undefined : callbackFor(command);
        if (metrics && callback) countUnder(metrics, callback.webhooksKey);
      },
    });
  if (metrics) chain.use(publishMetrics(metrics));
  chain.use(accountForRefusals(logger, metrics));
  chain.use(openimErrorBody(logger)).use(httpHeaderNormalizer());
  // Who may post is settled before the body is even parsed.
  if (allowedSources) {
    chain.use(
      sourceIpAllowlist(allowedSources, allowedSourcesSetting) as MiddlewareObj<ParsedEvent>,
    );
  }
  if (credentials) chain.use(webhookAuth(credentials) as MiddlewareObj<ParsedEvent>);
  return chain
    .use(httpJsonBodyParser())
    .use(httpErrorHandler({ logger: false, fallbackMessage: INTERNAL_ERROR_MESSAGE }))
    .handler(receive) as unknown as ReceiverHandler;
}
