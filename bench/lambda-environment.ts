/**
 * The environment a bundle runs with: the function's variables from the template, what Lambda's
 * runtime adds, and local stand-ins for what needs an AWS account.
 */
import { LOCAL_AWS } from '../local/local-engine.ts';
import { BENCH_CREDENTIALS } from './openim-traffic.ts';
import { localTableNames } from './receiver-code.ts';
import type { SynthesizedFunction } from './synth-child.ts';

/**
 * Never set: they point at Secrets Manager and SQS. `WEBHOOK_CREDENTIALS` takes the secret's
 * place, so the Basic-auth check still runs; the fallback only runs when a put fails. With no
 * secret, `AWS_LAMBDA_FUNCTION_NAME` is left out too: in Lambda the function refuses to start
 * without its secret, and local credentials are what it takes outside Lambda.
 */
const AWS_ONLY = new Set(['WEBHOOK_SECRET_ARN', 'FALLBACK_QUEUE_URL']);

/** The environment Lambda would give `fn`, with its table at `dynamodbEndpoint`; notes on stderr. */
export function lambdaEnvironment(
  fn: SynthesizedFunction,
  table: string,
  dynamodbEndpoint: string,
) {
  const notes: string[] = [];
  const env: Record<string, string> = {
    // What Lambda's Node.js runtime sets, as far as libraries read it.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
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
    if (typeof value === 'string' && !AWS_ONLY.has(name)) env[name] = value;
    else if (typeof ref === 'string' && fn.tableLogicalIds.includes(ref)) {
      env[name] = name === 'SEQ_TABLE_NAME' ? localTableNames(table).seqs : table;
    } else notes.push(`${name} is not set: it needs an AWS account`);
  }
  env.WEBHOOK_CREDENTIALS = BENCH_CREDENTIALS;
  env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
  return { env, notes };
}
