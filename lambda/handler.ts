/**
 * The Lambda entry point (and `npm start`'s): reads its settings once, builds the AWS clients once
 * at module scope, and exports the handler. Everything else lives in `receiver.ts`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDynamoArchiveStore } from './archive-store.ts';
import { environmentCredentials } from './environment-credentials.ts';
import {
  createSpoolFallback,
  fallbackOnFirstUse,
  type MessageFallback,
  SQS_FALLBACK_FILE,
} from './message-fallback.ts';
import { createHandler } from './receiver.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from './receiver-metrics.ts';
import { sdkDeadline } from './sdk-deadline.ts';
import { secretsManagerCredentials } from './secret-credentials.ts';
import { Sha256 } from './sha256.ts';
import { ALLOWLIST_SETTING, allowlistSetting, parseSourceAllowlist } from './source-allowlist.ts';
import { type CredentialSource, credentialOrigin, staticCredentials } from './webhook-auth.ts';

/*
 * Time limits, retries included, so that a hung AWS service never runs the function into its 4 s
 * timeout (which would lose the message without a word). In the worst case a request spends 2 x
 * 0.5 s on the secret (the cached value expired, then OpenIM's password matched neither cached
 * version, so both were read again), 1.5 s on the table and 1 s on the fallback queue: 3.5 s, and
 * OpenIM waits 5 s.
 */

/** Time for one read of the webhook secret; a failed re-read keeps the last good value. */
const SECRET_DEADLINE_MS = 500;

/** Time for a callback's table writes. 1.5 s of retries still leaves time for the fallback. */
const TABLE_DEADLINE_MS = 1_500;

/** Time for keeping a message in the fallback queue, then logging the loss if it failed too. */
const QUEUE_DEADLINE_MS = 1_000;

/**
 * Settings for each AWS client: its time limit, request signing with {@link Sha256}, and the
 * credentials Lambda gives the function (see `environment-credentials.ts`).
 */
function clientSettings(deadlineMs: number, attempts?: number) {
  return {
    ...sdkDeadline(deadlineMs, attempts),
    sha256: Sha256,
    credentials: () => environmentCredentials(),
  };
}

/** Reads a required environment variable, failing the cold start with the fix if it is missing. */
function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the stack (or npm start) must set it`);
  return value;
}

/** Reads an optional environment variable; empty counts as unset. */
function optionalEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

/** Reads an optional whole number of days, refusing anything else at cold start. */
function optionalDays(name: string): number | undefined {
  const value = optionalEnv(name);
  if (value === undefined) return undefined;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(`${name} must be a whole number of days of at least 1, not "${value}"`);
  }
  return days;
}

/** Reads a setting with `parse`, naming the variable in the error without echoing its value. */
function parsedEnv<T>(name: string, parse: (text: string) => T): T | undefined {
  const value = optionalEnv(name);
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (error) {
    throw new Error(`${name} is invalid: ${(error as Error).message}`);
  }
}

/**
 * The credentials to require: from Secrets Manager in AWS, from the environment locally. In Lambda
 * a missing secret fails the cold start (see `credentialOrigin`): the function never runs open.
 */
function credentialSource(): CredentialSource | undefined {
  const origin = credentialOrigin(process.env);
  if (origin.kind === 'secret') {
    // Two attempts, each cut at half the deadline: Secrets Manager's answer fits, a hung one is cut.
    const client = new SecretsManagerClient(clientSettings(SECRET_DEADLINE_MS, 2));
    return secretsManagerCredentials({ secretId: origin.secretId, client });
  }
  return origin.kind === 'static' ? staticCredentials(origin.credentials) : undefined;
}

/**
 * The SQS fallback module to import: the TypeScript beside this file when run from the repository,
 * the side bundle beside the function's bundle when deployed. A specifier computed at run time is
 * one esbuild leaves as it is, which keeps the SQS client out of the function's own bundle.
 */
function sqsFallbackModule(): string {
  const deployed = !import.meta.url.endsWith('.ts');
  return `./${deployed ? SQS_FALLBACK_FILE.replace(/\.ts$/, '.mjs') : SQS_FALLBACK_FILE}`;
}

/** Where messages go when the table fails: the SQS queue in AWS, the spool folder locally. */
function fallback(): MessageFallback | undefined {
  const queueUrl = optionalEnv('FALLBACK_QUEUE_URL');
  if (queueUrl) {
    // Imported on the first record kept, from the side bundle beside the deployed function's own:
    // the SQS client is bundled (the SDK the tests ran), but no cold start parses it.
    return fallbackOnFirstUse(async () => {
      const { createSqsFallback, SQSClient } = (await import(
        sqsFallbackModule()
      )) as typeof import('./sqs-fallback.ts');
      return createSqsFallback({
        client: new SQSClient(clientSettings(QUEUE_DEADLINE_MS)),
        queueUrl,
      });
    });
  }
  const directory = optionalEnv('FALLBACK_SPOOL_DIR');
  return directory ? createSpoolFallback({ directory }) : undefined;
}

const tables = { messages: requiredEnv('TABLE_NAME'), seqs: requiredEnv('SEQ_TABLE_NAME') };

/** The deployment's name in logs and metrics: the stack sets it, so stacks never mix metrics. */
const serviceName = optionalEnv('POWERTOOLS_SERVICE_NAME') ?? SERVICE_NAME;

/** The deployed handler. Each AWS endpoint follows AWS_ENDPOINT_URL_<SERVICE> when it is set. */
export const handler = createHandler({
  store: createDynamoArchiveStore({
    client: new DynamoDBClient(clientSettings(TABLE_DEADLINE_MS)),
    tables,
    deadlineMs: TABLE_DEADLINE_MS,
  }),
  fallback: fallback(),
  credentials: credentialSource(),
  allowedSources: parsedEnv(ALLOWLIST_SETTING.local, parseSourceAllowlist),
  allowedSourcesSetting: allowlistSetting(process.env),
  logger: new Logger({ serviceName }),
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  ttlDays: optionalDays('TTL_DAYS'),
});
