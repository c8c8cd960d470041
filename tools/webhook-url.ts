/**
 * `npm run webhook-url -- [--stack NAME] [--region R]`: with your own AWS credentials, reads the
 * deployed stack's `WebhookUrl` and `WebhookSecretArn` outputs and the secret's current value, and
 * prints the `webhooks.yml` lines for OpenIM, password included, on stdout and nowhere else.
 * Problems go to stderr, with exit code 1, and never quote the secret.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SETTINGS } from '../infra/settings.ts';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { parseWebhookSecret } from '../lambda/secret-credentials.ts';
import type { Credentials } from '../lambda/webhook-auth.ts';

/** A problem the user can fix; its message says how, and never contains the secret. */
export class WebhookUrlError extends Error {
  override readonly name = 'WebhookUrlError';
}

/** The clients the tool reads with; tests inject their own. */
export interface WebhookUrlClients {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
}

/** The base URL with the credentials as URL userinfo, percent-encoded; no trailing slash added. */
export function urlWithCredentials(baseUrl: string, credentials: Credentials): string {
  const match = /^(https?:\/\/)([^/?#@]+)([/?#].*)?$/.exec(baseUrl);
  if (!match) {
    throw new WebhookUrlError(
      `Output ${STACK_OUTPUTS.webhookUrl} is "${baseUrl}", not an http(s) URL without userinfo.`,
    );
  }
  const [, scheme, host, rest = ''] = match;
  const userinfo = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`;
  return `${scheme}${userinfo}@${host}${rest}`;
}

/** The `config/webhooks.yml` lines that point OpenIM at `url` and turn the callback on. */
export function webhooksYaml(url: string): string {
  return [`url: ${url}`, 'afterSendSingleMsg:', '  enable: true', '  timeout: 5', ''].join('\n');
}

/**
 * The credentials in the webhook secret's value, read by the function's own parser; the error adds
 * the command that fixes the secret, and never quotes its content.
 */
export function webhookCredentials(
  secretString: string | undefined,
  secretId: string,
): Credentials {
  try {
    return parseWebhookSecret(secretString, secretId);
  } catch (error) {
    const problem = (error as Error).message;
    throw new WebhookUrlError(
      `${problem.charAt(0).toUpperCase()}${problem.slice(1)}. Fix: ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} ` +
        `--secret-string '{"username":"openim","password":"NEW"}'`,
    );
  }
}

/** The name of an AWS SDK error, or `undefined` for anything else. */
function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** An SDK failure in words the user can act on, or `undefined` if it is not a known one. */
function explain(error: unknown, region: string | undefined): string | undefined {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : '';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return (
      'No AWS credentials found. Sign in first, e.g. `aws sso login --profile NAME` and ' +
      '`export AWS_PROFILE=NAME`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.'
    );
  }
  if (/region is missing/i.test(message)) {
    return 'No AWS region. Fix: --region eu-west-1, or export AWS_REGION=eu-west-1.';
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || /expired/i.test(name ?? '')) {
    return 'Your AWS credentials have expired. Sign in again (e.g. `aws sso login`).';
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    return (
      `Access denied: ${message} Your credentials need cloudformation:DescribeStacks on the ` +
      'stack and secretsmanager:GetSecretValue on its webhook secret.'
    );
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId') {
    return `AWS did not accept your credentials${region ? ` in ${region}` : ''}: ${message}`;
  }
  return undefined;
}

/** Reads the stack's outputs and the secret, and returns the URL OpenIM needs. */
export async function readWebhookUrl(
  { cloudFormation, secretsManager }: WebhookUrlClients,
  stackName: string,
): Promise<string> {
  const region = await cloudFormation.config.region().catch(() => undefined);
  let outputs: Map<string, string>;
  try {
    const { Stacks } = await cloudFormation.send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    outputs = new Map(
      (Stacks?.[0]?.Outputs ?? []).flatMap(({ OutputKey, OutputValue }) =>
        OutputKey && OutputValue ? [[OutputKey, OutputValue] as const] : [],
      ),
    );
  } catch (error) {
    if (errorName(error) === 'ValidationError' && /does not exist/i.test(String(error))) {
      throw new WebhookUrlError(
        `Stack "${stackName}" was not found${region ? ` in ${region}` : ''}. Fix: --stack NAME ` +
          '(the stackName you deployed with) and --region (or AWS_REGION) where you deployed it.',
      );
    }
    throw new WebhookUrlError(
      explain(error, region) ?? `Could not read stack "${stackName}": ${error}`,
    );
  }

  const webhookUrl = outputs.get(STACK_OUTPUTS.webhookUrl);
  const secretArn = outputs.get(STACK_OUTPUTS.webhookSecretArn);
  const missing = [
    ...(webhookUrl ? [] : [STACK_OUTPUTS.webhookUrl]),
    ...(secretArn ? [] : [STACK_OUTPUTS.webhookSecretArn]),
  ];
  if (!webhookUrl || !secretArn) {
    throw new WebhookUrlError(
      `Stack "${stackName}" has no output ${missing.join(' or ')}. Is it this receiver, deployed ` +
        'from this version? Fix: npx cdk deploy (with the same -c stackName=…), then run this again.',
    );
  }

  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretArn }),
    ));
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      throw new WebhookUrlError(
        `Secret ${secretArn} was not found. Fix: redeploy the stack (npx cdk deploy) to recreate it.`,
      );
    }
    throw new WebhookUrlError(
      explain(error, region) ?? `Could not read secret ${secretArn}: ${errorName(error) ?? error}`,
    );
  }
  return urlWithCredentials(webhookUrl, webhookCredentials(secretString, secretArn));
}

/** What {@link main} writes to. */
export interface Output {
  write(text: string): unknown;
}

/** Options for {@link main}. */
export interface MainOptions {
  /** Clients to use instead of building them from `--region` and the default credentials. */
  readonly clients?: (region: string | undefined) => WebhookUrlClients;
  /** Where the snippet goes. @default process.stdout */
  readonly stdout?: Output;
  /** Where problems go. @default process.stderr */
  readonly stderr?: Output;
}

const USAGE = `Usage: npm run webhook-url -- [--stack NAME] [--region REGION]

Prints the config/webhooks.yml lines for OpenIM, with the webhook password in the url.
  --stack   the deployed stack (default ${DEFAULT_SETTINGS.stackName})
  --region  its region (default: AWS_REGION or your profile's region)
`;

/** The real clients, in `region` or the SDK's default one. */
function defaultClients(region: string | undefined): WebhookUrlClients {
  const config = region ? { region } : {};
  return {
    cloudFormation: new CloudFormationClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
}

/** Runs the command with `argv` (without node and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const { clients = defaultClients, stdout = process.stdout, stderr = process.stderr } = options;
  let values: { stack?: string; region?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: 'string', default: DEFAULT_SETTINGS.stackName },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    stdout.write(USAGE);
    return 0;
  }
  try {
    const url = await readWebhookUrl(clients(values.region), values.stack ?? '');
    stdout.write(webhooksYaml(url));
    return 0;
  } catch (error) {
    const message =
      error instanceof WebhookUrlError
        ? error.message
        : (explain(error, values.region) ?? `Unexpected error: ${String(error)}`);
    stderr.write(`webhook-url: ${message}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
