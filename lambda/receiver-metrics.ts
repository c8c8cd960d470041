/**
 * What the receiver counts, as CloudWatch metrics in Embedded Metric Format (Powertools Metrics):
 * one name per event an operator asks about, so alarms and the dashboard read like the questions.
 * Each is counted in total (the alarms watch that) and per callback (the dashboard splits by it).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/** The CloudWatch namespace of the receiver's metrics. */
export const METRICS_NAMESPACE = 'OpenImCallbackReceiver';

/** The service name on every log line and the `service` dimension of every metric. */
export const SERVICE_NAME = 'openim-callback-receiver';

/** The dimension that says why a request was refused. */
export const REASON_DIMENSION = 'reason';

/** The dimension that names the callback (its `webhooks.yml` key). */
export const CALLBACK_DIMENSION = 'callback';

/** The receiver's metric names, shared with the stack's alarms and dashboard. */
export const MetricName = {
  /** A callback that changed the archive: a message stored or completed, a revoke recorded. */
  stored: 'MessagesStored',
  /** A repeated delivery of a callback already stored. */
  duplicate: 'DuplicateDeliveries',
  /** A refused request, with a `reason` dimension. */
  rejected: 'Rejections',
  /** A request with missing or wrong credentials. */
  authFailure: 'AuthFailures',
  /** A record kept in the fallback because the table failed. */
  fallbackWrite: 'FallbackWrites',
  /** A callback answered 5xx and neither stored nor kept: OpenIM will not send it again. */
  lost: 'MessagesLost',
  /**
   * A message whose seq another message already held: both are kept, the seq stays with the first
   * (OpenIM restored or reinstalled, or two OpenIM servers on one receiver).
   */
  seqConflict: 'SeqConflicts',
  /** Time for the table writes, retries included. */
  storageLatency: 'StorageLatency',
} as const;

/** Why a request was refused, by its status: the `reason` dimension of {@link MetricName.rejected}. */
export function rejectionReason(statusCode: number): string {
  const reasons: Record<number, string> = {
    400: 'invalid',
    401: 'unauthorized',
    403: 'source-not-allowed',
    404: 'unknown-command',
    // Only the local server answers these: a request that did not arrive within its time.
    408: 'timeout',
    413: 'too-large',
    415: 'not-json',
    422: 'not-json',
  };
  return reasons[statusCode] ?? (statusCode >= 500 ? 'receiver-failure' : 'other');
}

/**
 * Counts the rest of this invocation's metrics under `callback` as well as in total: two dimension
 * sets, `service, callback` and `service` alone.
 */
export function countUnder(metrics: Metrics, callback: string): void {
  metrics.addDimensions({ [CALLBACK_DIMENSION]: callback }).addDimensions({});
}

/** Counts one event. */
export function count(metrics: Metrics, name: string): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
}

/** Counts a refusal under its reason (a single-metric blob, so the dimension stays its own). */
export function countRejection(metrics: Metrics, statusCode: number): void {
  metrics
    .singleMetric()
    .addDimension(REASON_DIMENSION, rejectionReason(statusCode))
    .addMetric(MetricName.rejected, MetricUnit.Count, 1);
  if (statusCode === 401) count(metrics, MetricName.authFailure);
}

/** Records how long the table writes took. */
export function recordStorageLatency(metrics: Metrics, milliseconds: number): void {
  metrics.addMetric(MetricName.storageLatency, MetricUnit.Milliseconds, milliseconds);
}

/**
 * Publishes the invocation's metrics, if it counted any. Powertools' own `logMetrics` prints a
 * plain-text warning for an invocation that counted none (a refusal counts in a blob of its own).
 */
export function publishMetrics(metrics: Metrics): MiddlewareObj {
  const publish = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    else metrics.clearDimensions();
  };
  // A stored callback always counted its outcome; only a refusal may have counted nothing here.
  return { after: () => void metrics.publishStoredMetrics(), onError: publish };
}

/**
 * Counts every refused request by reason, and every 5xx that kept nothing as a lost message: the
 * after-callback is never retried. Use it before `@middy/http-error-handler`, so that it sees the
 * status the error handler settled on.
 */
export function accountForRefusals(logger: Logger, metrics: Metrics | undefined): MiddlewareObj {
  return {
    onError: (request) => {
      const statusCode = (request.response as { statusCode?: number } | undefined)?.statusCode;
      const status = statusCode ?? 500;
      if (metrics) countRejection(metrics, status);
      const kept = (request.error as { kept?: boolean } | null)?.kept === true;
      if (status >= 500 && !kept) {
        logger.critical('Message lost: it was neither stored nor kept');
        if (metrics) count(metrics, MetricName.lost);
      }
    },
  };
}
