/**
 * The storage adapter: one conditional `PutItem` per message, idempotent on `serverMsgID`. It takes
 * its DynamoDB client as a parameter, so tests point it at the local engine without mocking;
 * {@link putDeadline} gives that client a time limit per put, retries included.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import type { MessageRecord } from './message-record.ts';
import { MESSAGE_KEY } from './message-table.ts';

/** The condition that makes a put idempotent: only the first write of a `serverMsgID` lands. */
export const FIRST_WRITE_ONLY = {
  ConditionExpression: 'attribute_not_exists(#id)',
  ExpressionAttributeNames: { '#id': MESSAGE_KEY.name },
} as const;

/** What happened to a message handed to the store. */
export type PutOutcome = 'stored' | 'duplicate';

/** Where messages go. */
export interface MessageStore {
  /** Stores the record unless a record with its `serverMsgID` exists; never rewrites one. */
  put(record: MessageRecord): Promise<PutOutcome>;
}

/** Options for {@link createDynamoMessageStore}. */
export interface DynamoMessageStoreOptions {
  /** The client to send requests with, built once by the caller (see {@link putDeadline}). */
  readonly client: DynamoDBClient;
  /** The messages table's name. */
  readonly tableName: string;
}

/** How a put's time limit is shared out. */
export interface PutTimeBudget {
  /** Attempts, the first included. */
  readonly attempts: number;
  /** The wait before each retry, in ms (one entry per retry). */
  readonly waitsMs: readonly number[];
  /** The most one attempt may take before it is cut and retried, in ms. */
  readonly perAttemptMs: number;
}

/**
 * Shares `deadlineMs` between `attempts`: a growing wait before each retry (5% of the deadline,
 * then 10%, 15%, ...) and the rest split evenly as each attempt's limit. Attempts times their limit
 * plus the waits never exceed the deadline.
 */
export function putTimeBudget(deadlineMs: number, attempts: number): PutTimeBudget {
  // Up to 6 attempts the waits take at most 75% of the deadline, leaving each attempt its share.
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 6) {
    throw new RangeError(`a put gets 1 to 6 attempts, not ${attempts}`);
  }
  const waitsMs = Array.from({ length: attempts - 1 }, (_, i) =>
    Math.floor((deadlineMs * (i + 1)) / 20),
  );
  const waited = waitsMs.reduce((sum, wait) => sum + wait, 0);
  return { attempts, waitsMs, perAttemptMs: Math.floor((deadlineMs - waited) / attempts) };
}

/**
 * Client settings under which a put, retries included, gives up within `deadlineMs`, so that the
 * fallback still runs while OpenIM waits. Each attempt is cut at its share of the time (a hung
 * connection costs one attempt, not the whole deadline), and the waits between attempts are fixed.
 * Nothing is added per request: an `AbortSignal` deadline made the SDK add and remove listeners and
 * race promises at each step of every put, about 60-100 µs of CPU each (see BENCHMARKS.md).
 */
export function putDeadline(
  deadlineMs: number,
  attempts = 3,
): Pick<DynamoDBClientConfig, 'retryStrategy' | 'requestHandler'> {
  const { waitsMs, perAttemptMs } = putTimeBudget(deadlineMs, attempts);
  return {
    // Retry n waits waitsMs[n - 1], whatever the error (throttling included).
    retryStrategy: new ConfiguredRetryStrategy(attempts, (retry) => waitsMs[retry - 1] ?? 0),
    requestHandler: { requestTimeout: perAttemptMs, throwOnRequestTimeout: true },
  };
}

/** A {@link MessageStore} on a DynamoDB table defined by `message-table.ts`. */
export function createDynamoMessageStore({
  client,
  tableName,
}: DynamoMessageStoreOptions): MessageStore {
  return {
    async put(record) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall(record, { removeUndefinedValues: true }),
            ...FIRST_WRITE_ONLY,
          }),
        );
        return 'stored';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'duplicate';
        throw error;
      }
    },
  };
}
