/**
 * Time limits for AWS SDK clients: a request, retries included, ends within a deadline, so that the
 * function always has time left to keep a message in the fallback, or to log that it could not.
 */
import { ConfiguredRetryStrategy } from '@smithy/util-retry';

/** How a request's time limit is shared out. */
export interface TimeBudget {
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
export function timeBudget(deadlineMs: number, attempts: number): TimeBudget {
  // Up to 6 attempts the waits take at most 75% of the deadline, leaving each attempt its share.
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 6) {
    throw new RangeError(`a request gets 1 to 6 attempts, not ${attempts}`);
  }
  const waitsMs = Array.from({ length: attempts - 1 }, (_, i) =>
    Math.floor((deadlineMs * (i + 1)) / 20),
  );
  const waited = waitsMs.reduce((sum, wait) => sum + wait, 0);
  return { attempts, waitsMs, perAttemptMs: Math.floor((deadlineMs - waited) / attempts) };
}

/** The client settings {@link sdkDeadline} returns; any AWS SDK v3 client takes them. */
export interface DeadlineSettings {
  readonly retryStrategy: ConfiguredRetryStrategy;
  readonly requestHandler: {
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
  };
}

/**
 * Client settings under which a request, retries included, gives up within `deadlineMs`. Each
 * attempt is cut at its share of the time (a hung connection costs one attempt, not the whole
 * deadline), and the waits between attempts are fixed. Nothing is added per request: an
 * `AbortSignal` deadline makes the SDK add and remove listeners and race promises at each step of
 * every request (its cost is in BENCHMARKS.md).
 */
export function sdkDeadline(deadlineMs: number, attempts = 3): DeadlineSettings {
  const { waitsMs, perAttemptMs } = timeBudget(deadlineMs, attempts);
  return {
    // Retry n waits waitsMs[n - 1], whatever the error (throttling included).
    retryStrategy: new ConfiguredRetryStrategy(attempts, (retry) => waitsMs[retry - 1] ?? 0),
    requestHandler: { requestTimeout: perAttemptMs, throwOnRequestTimeout: true },
  };
}

/** Thrown when work did not settle within its deadline. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * `work`, or a {@link DeadlineExceeded} after `deadlineMs`: the limit for an operation of several
 * requests, each under its own {@link sdkDeadline}. Work still running then is left to settle on
 * its own; every write it could still make is idempotent.
 */
export async function within<T>(deadlineMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineExceeded(`not done within ${deadlineMs} ms`)),
      deadlineMs,
    );
  });
  // A late failure of the abandoned work must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
