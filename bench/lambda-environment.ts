/**
 * The environment a bundle runs with in the benchmark: the function's variables from the template,
 * what Lambda's runtime adds, and local stand-ins for what needs an AWS account.
 */
import { localTableNames } from '../lambda/table-schema.ts';
import { LOCAL_AWS } from '../local/local-engine.ts';
import type { SynthesizedFunction } from './bundles.ts';
import { BENCH_CREDENTIALS } from './openim-traffic.ts';

/**
 * Variables the benchmark never sets, even when the template does: with an AWS account they point
 * at Secrets Manager and SQS. Locally, `WEBHOOK_CREDENTIALS` takes the secret's place (so the
 * Basic-auth check still runs) and the fallback stays off (it only runs when a put fails).
 */
const AWS_ONLY = new Set(['WEBHOOK_SECRET_ARN', 'FALLBACK_QUEUE_URL']);

/** A function's benchmark environment, and what was changed from the template. */
export interface LambdaEnvironment {
  readonly env: Record<string, string>;
  /** One line per template variable that was left out or stood in for. */
  readonly notes: string[];
}

/** Options for {@link lambdaEnvironment}. */
export interface LambdaEnvironmentOptions {
  /** The table name that `Ref`s to the template's table resolve to. */
  readonly tableName: string;
  /** Where DynamoDB requests go (`AWS_ENDPOINT_URL_DYNAMODB`). */
  readonly dynamodbEndpoint: string;
}

/** Builds the environment Lambda would give `fn`, pointed at a local DynamoDB endpoint. */
export function lambdaEnvironment(
  fn: SynthesizedFunction,
  { tableName, dynamodbEndpoint }: LambdaEnvironmentOptions,
): LambdaEnvironment {
  const notes: string[] = [];
  const env: Record<string, string> = {
    // What Lambda's Node.js runtime sets (a subset: the ones libraries read).
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: 'openim-callback-receiver',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_REGION: LOCAL_AWS.region,
    AWS_DEFAULT_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: 'bench-session-token',
  };
  for (const [name, value] of Object.entries(fn.variables)) {
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    if (AWS_ONLY.has(name)) {
      notes.push(`\`${name}\` is not set (it needs an AWS account); see the auth note`);
    } else if (typeof value === 'string') {
      env[name] = value;
    } else if (typeof ref === 'string' && fn.tableLogicalIds.includes(ref)) {
      env[name] = name === 'SEQ_TABLE_NAME' ? localTableNames(tableName).seqs : tableName;
    } else {
      notes.push(`\`${name}\` (${JSON.stringify(value)}) is not set: it needs an AWS account`);
    }
  }
  env.WEBHOOK_CREDENTIALS = BENCH_CREDENTIALS;
  env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
  return { env, notes };
}
