/**
 * The scheduled reconcile's Lambda entry point (the stack adds it with `-c openimApiUrl=…`): one
 * run of `lambda/reconcile/reconcile.ts` against OpenIM's API, with OpenIM's secret from Secrets
 * Manager. It stops starting new work a minute before the function's time limit, and the next
 * run resumes from the checkpoints. Its metrics say what each run recovered (a non-zero count
 * means callbacks were lost) and whether it failed; its log lines carry counts and IDs, never
 * message content, the secret or the token.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { createDynamoArchiveStore } from './archive-store.ts';
import { OpenImApi } from './openim-api.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './receiver-metrics.ts';
import { reconcile } from './reconcile/reconcile.ts';
import { ReconcileMetricName } from './reconcile/reconcile-metrics.ts';
import { Sha256 } from './sha256.ts';

/** Time kept back from the function's limit: the hundred in progress finishes, then it stops. */
const STOP_BEFORE_LIMIT_MS = 60_000;

/** Reads a required environment variable, failing the cold start with the fix if it is missing. */
function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the stack must set it`);
  return value;
}

const tables = { messages: requiredEnv('TABLE_NAME'), seqs: requiredEnv('SEQ_TABLE_NAME') };
const apiUrl = requiredEnv('OPENIM_API_URL');
const secretArn = requiredEnv('OPENIM_SECRET_ARN');
const adminUserID = process.env.OPENIM_ADMIN_USER || 'imAdmin';
const ttlDays = process.env.TTL_DAYS ? Number(process.env.TTL_DAYS) : undefined;
const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;

const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
const client = new DynamoDBClient({ sha256: Sha256 });
const secrets = new SecretsProvider({
  awsSdkV3Client: new SecretsManagerClient({ sha256: Sha256 }),
});

/** OpenIM's secret, or an error that says how to set it. */
async function openImSecret(): Promise<string> {
  try {
    const value = await secrets.get(secretArn, { maxAge: 0 });
    if (typeof value === 'string' && value !== '') return value;
  } catch (error) {
    const name = (error as { cause?: { name?: string } }).cause?.name ?? (error as Error).name;
    if (name !== 'ResourceNotFoundException') throw error;
  }
  throw new Error(
    `OpenIM's secret is not set in ${secretArn}. Fix: aws secretsmanager put-secret-value ` +
      `--secret-id ${secretArn} --secret-string '<the secret of OpenIM's config/share.yml>'`,
  );
}

/** One reconcile run. */
export async function handler(_event: unknown, context: Context): Promise<void> {
  logger.addContext(context);
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  try {
    const api = new OpenImApi({ baseUrl: apiUrl, secret: await openImSecret(), adminUserID });
    const summary = await reconcile({
      api,
      store: createDynamoArchiveStore({ client, tables }),
      client,
      tables,
      ttlDays,
      deadline: Date.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_LIMIT_MS,
    });
    const { problems, failed, ...counts } = summary;
    count(ReconcileMetricName.recovered, summary.recovered);
    count(ReconcileMetricName.linked, summary.linked);
    count(ReconcileMetricName.revoked, summary.revoked);
    count(ReconcileMetricName.gaps, summary.gaps);
    count(ReconcileMetricName.runsFailed, failed.length > 0 || problems.length > 0 ? 1 : 0);
    if (summary.recovered > 0) {
      logger.warn('Reconcile recovered messages the callbacks lost', { ...counts });
    } else logger.info('Reconcile done', { ...counts });
    // IDs and OpenIM's own reasons only: no message content.
    for (const failure of failed) logger.error('Conversation not reconciled', { ...failure });
    for (const problem of problems) logger.error('Message not recovered', { ...problem });
  } catch (error) {
    count(ReconcileMetricName.runsFailed, 1);
    logger.error('Reconcile failed', { reason: (error as Error).message });
  } finally {
    metrics.publishStoredMetrics();
  }
}
