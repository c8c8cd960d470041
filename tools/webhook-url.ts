/**
 * `npm run webhook-url -- [--stack NAME] [--region R] [--yaml | --env]`: with your own AWS
 * credentials, reads the deployed stack's `WebhookUrl` and `WebhookSecretArn` outputs and the
 * secret's current value, and prints the `webhooks.yml` lines for OpenIM and the same settings as
 * OpenIM's environment variables, password included, on stdout and nowhere else. Problems go to
 * stderr, with exit code 1, and never quote the secret.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_SETTINGS } from '../infra/settings.ts';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { webhooksEnv, webhooksYaml } from '../lambda/callbacks.ts';
import { parseWebhookSecret } from '../lambda/secret-credentials.ts';
import type { Credentials } from '../lambda/webhook-auth.ts';
import type { MainOptions } from './cli-output.ts';
import { readStackOutputs, requiredOutputs } from './stack-reader.ts';
import { errorName, explainFailure, ToolError } from './tool-failure.ts';

/** The clients the tool reads with; tests inject their own. */
export interface WebhookUrlClients {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
}

/** What the credentials need, for an access-denied explanation. */
const PERMISSIONS =
  'cloudformation:DescribeStacks on the stack and secretsmanager:GetSecretValue on its webhook secret';

/** The base URL with the credentials as URL userinfo, percent-encoded; no trailing slash added. */
export function urlWithCredentials(baseUrl: string, credentials: Credentials): string {
  const match = /^(https?:\/\/)([^/?#@]+)([/?#].*)?$/.exec(baseUrl);
  if (!match) {
    throw new ToolError(
      `Output ${STACK_OUTPUTS.webhookUrl} is "${baseUrl}", not an http(s) URL without userinfo.`,
    );
  }
  const [, scheme, host, rest = ''] = match;
  const userinfo = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`;
  return `${scheme}${userinfo}@${host}${rest}`;
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
    throw new ToolError(
      `${problem.charAt(0).toUpperCase()}${problem.slice(1)}. Fix: ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} ` +
        `--secret-string '{"username":"openim","password":"NEW"}'`,
    );
  }
}

/** Reads the stack's outputs and the secret, and returns the URL OpenIM needs. */
export async function readWebhookUrl(
  { cloudFormation, secretsManager }: WebhookUrlClients,
  stackName: string,
): Promise<string> {
  const region = await cloudFormation.config.region().catch(() => undefined);
  const context = { region, permissions: PERMISSIONS, localEngine: false };
  const outputs = await readStackOutputs(cloudFormation, stackName, context);
  const [webhookUrl = '', secretArn = ''] = requiredOutputs(
    outputs,
    [STACK_OUTPUTS.webhookUrl, STACK_OUTPUTS.webhookSecretArn],
    stackName,
  );

  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretArn }),
    ));
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      throw new ToolError(
        `Secret ${secretArn} was not found. Fix: redeploy the stack (npx cdk deploy) to recreate it.`,
      );
    }
    throw new ToolError(
      explainFailure(error, context) ??
        `Could not read secret ${secretArn}: ${errorName(error) ?? error}`,
    );
  }
  return urlWithCredentials(webhookUrl, webhookCredentials(secretString, secretArn));
}

const USAGE = `Usage: npm run webhook-url -- [--stack NAME] [--region REGION] [--yaml | --env]

Prints the config/webhooks.yml lines for OpenIM, with the webhook password in the url, then the
same settings as the environment variables OpenIM reads over webhooks.yml (IMENV_WEBHOOKS_…).
  --stack   the deployed stack (default ${DEFAULT_SETTINGS.stackName})
  --region  its region (default: AWS_REGION or your profile's region)
  --yaml    the webhooks.yml lines only (e.g. to redirect into a file)
  --env     the environment variables only, one NAME=value a line (e.g. for docker --env-file)
`;

/** What the tool prints for `url`: both forms, unless one is asked for. */
export function webhookSettings(url: string, form: { yaml?: boolean; env?: boolean }): string {
  if (form.yaml && !form.env) return webhooksYaml(url);
  if (form.env && !form.yaml) return webhooksEnv(url);
  return (
    `# config/webhooks.yml\n${webhooksYaml(url)}\n` +
    '# or the same as environment variables of OpenIM (docker run --env-file, Compose env_file)\n' +
    webhooksEnv(url)
  );
}

/** The real clients, in `region` or the SDK's default one. */
function defaultClients(region: string | undefined): WebhookUrlClients {
  const config = region ? { region } : {};
  return {
    cloudFormation: new CloudFormationClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
}

/** Runs the command with `argv` (without node and the script) and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  options: MainOptions<WebhookUrlClients> = {},
): Promise<number> {
  const { clients = defaultClients, stdout = process.stdout, stderr = process.stderr } = options;
  let values: { stack?: string; region?: string; help?: boolean; yaml?: boolean; env?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: 'string', default: DEFAULT_SETTINGS.stackName },
        region: { type: 'string' },
        yaml: { type: 'boolean' },
        env: { type: 'boolean' },
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
    stdout.write(webhookSettings(url, values));
    return 0;
  } catch (error) {
    const message =
      explainFailure(error, {
        region: values.region,
        permissions: PERMISSIONS,
        localEngine: false,
      }) ?? `Unexpected error: ${String(error)}`;
    stderr.write(`webhook-url: ${message}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
