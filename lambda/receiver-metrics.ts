/**
 * What the receiver counts, as CloudWatch metrics in Embedded Metric Format (Powertools Metrics):
 * one name per event an operator asks about, so alarms and the dashboard read like the questions.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';

/** The CloudWatch namespace of the receiver's metrics. */
export const METRICS_NAMESPACE = 'OpenImCallbackReceiver';

/** The service name on every log line and the `service` dimension of every metric. */
export const SERVICE_NAME = 'openim-callback-receiver';

/** The dimension that says why a request was refused. */
export const REASON_DIMENSION = 'reason';

/** The receiver's metric names, shared with the stack's alarms and dashboard. */
export const MetricName = {
  /** A message written to the table. */
  stored: 'MessagesStored',
  /** A repeated delivery of a message already stored. */
  duplicate: 'DuplicateDeliveries',
  /** A refused request, with a `reason` dimension. */
  rejected: 'Rejections',
  /** A request with missing or wrong credentials. */
  authFailure: 'AuthFailures',
  /** A message kept in the fallback because the table failed. */
  fallbackWrite: 'FallbackWrites',
  /** A message that could be neither stored nor kept. */
  lost: 'MessagesLost',
  /** Time for the table write, retries included. */
  storageLatency: 'StorageLatency',
} as const;

/** Why a request was refused, by its status: the `reason` dimension of {@link MetricName.rejected}. */
export function rejectionReason(statusCode: number): string {
  const reasons: Record<number, string> = {
    400: 'invalid',
    401: 'unauthorized',
    403: 'source-not-allowed',
    404: 'unknown-command',
    413: 'too-large',
    415: 'not-json',
    422: 'not-json',
  };
  return reasons[statusCode] ?? (statusCode >= 500 ? 'receiver-failure' : 'other');
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

/** Records how long the table write took. */
export function recordStorageLatency(metrics: Metrics, milliseconds: number): void {
  metrics.addMetric(MetricName.storageLatency, MetricUnit.Milliseconds, milliseconds);
}

/**
 * Counts every refused request by reason. Use it before `@middy/http-error-handler`, so that it
 * sees the status the error handler settled on.
 */
export function countRejections(metrics: Metrics): MiddlewareObj {
  return {
    onError: (request) => {
      const response = request.response as { statusCode?: number } | undefined;
      countRejection(metrics, response?.statusCode ?? 500);
    },
  };
}
