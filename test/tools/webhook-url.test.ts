/**
 * `npm run webhook-url`. CloudFormation and Secrets Manager have no local engine, so their clients
 * are mocked with aws-sdk-client-mock: the tests pin what is asked of AWS and what is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.ts';
import { webhooksEnv, webhooksYaml } from '../../lambda/callbacks.ts';
import { parseWebhookSecret } from '../../lambda/secret-credentials.ts';
import {
  main,
  urlWithCredentials,
  type WebhookUrlClients,
  webhookCredentials,
} from '../../tools/webhook-url.ts';
import { runToEnd } from '../support/child.ts';

const STACK = 'OpenImCallbackReceiver';
const API = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com';
const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:WebhookSecretD7FE3AEE-AbCdEf';
const PASSWORD = 'Zk4q9VbT2mXw7LpR0sNc8HdJ3yFg6KeA1uQo5WiE';

/** Clients whose `send` the mocks answer; the region and credentials are never used to sign. */
function mockedClients() {
  const config = {
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const clients: WebhookUrlClients = {
    cloudFormation: new CloudFormationClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
  return {
    clients,
    cloudFormation: mockClient(clients.cloudFormation),
    secretsManager: mockClient(clients.secretsManager),
  };
}

/** A DescribeStacks answer with these outputs. */
function stackWith(outputs: Record<string, string>) {
  return {
    Stacks: [
      {
        StackName: STACK,
        CreationTime: new Date(0),
        StackStatus: 'CREATE_COMPLETE' as const,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
        })),
      },
    ],
  };
}

/** Every output of a deployed stack. */
const DEPLOYED = {
  [STACK_OUTPUTS.webhookUrl]: API,
  [STACK_OUTPUTS.webhookSecretArn]: SECRET_ARN,
  [STACK_OUTPUTS.tableName]: 'OpenImCallbackReceiver-MessagesTable9E4E97A0-1A2B3C4D5E6F',
  [STACK_OUTPUTS.fallbackQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q',
};

/** Runs `main` with mocked clients and captures what it prints. */
async function run(argv: string[], clients: WebhookUrlClients) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    clients: () => clients,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('urlWithCredentials', () => {
  it('puts the percent-encoded user and password in the userinfo, and keeps the rest exact', () => {
    // GIVEN
    const credentials = { username: 'open im', password: 'p@ss:w/rd#?%' };

    // WHEN
    const url = urlWithCredentials(API, credentials);

    // THEN
    expect(url).toBe(
      'https://open%20im:p%40ss%3Aw%2Frd%23%3F%25@abc123defg.execute-api.eu-west-1.amazonaws.com',
    );
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.username)).toBe(credentials.username);
    expect(decodeURIComponent(parsed.password)).toBe(credentials.password);
    expect(parsed.host).toBe('abc123defg.execute-api.eu-west-1.amazonaws.com');
  });

  it('refuses a URL that is not http(s) or already has userinfo', () => {
    // GIVEN
    const credentials = { username: 'openim', password: PASSWORD };

    // THEN
    expect(() => urlWithCredentials('ftp://host', credentials)).toThrow(/not an http\(s\) URL/);
    expect(() => urlWithCredentials('https://a:b@host', credentials)).toThrow(/userinfo/);
  });
});

describe('webhookCredentials', () => {
  it('reads the user and password', () => {
    // GIVEN / WHEN
    const credentials = webhookCredentials(
      JSON.stringify({ username: 'openim', password: PASSWORD }),
      SECRET_ARN,
    );

    // THEN
    expect(credentials).toEqual({ username: 'openim', password: PASSWORD });
  });

  it.each([
    ['not JSON', `${PASSWORD}}`],
    ['no password', JSON.stringify({ username: 'openim' })],
    ['an empty password', JSON.stringify({ username: 'openim', password: '' })],
    ['a number', JSON.stringify({ username: 'openim', password: 42 })],
  ])('refuses %s without quoting the secret, naming the fix', (_, secretString) => {
    // WHEN
    const parse = () => webhookCredentials(secretString, SECRET_ARN);

    // THEN
    expect(parse).toThrow(/Fix: aws secretsmanager put-secret-value/);
    try {
      parse();
    } catch (error) {
      expect(String(error)).not.toContain(PASSWORD);
      expect(String(error)).not.toContain('42');
    }
  });

  it("accepts and refuses exactly what the function's own parser does", () => {
    const REFUSAL =
      `ToolError: Secret ${SECRET_ARN} must be JSON with non-empty "username" and "password". ` +
      `Fix: aws secretsmanager put-secret-value --secret-id ${SECRET_ARN} ` +
      `--secret-string '{"username":"openim","password":"NEW"}'`;
    // GIVEN any secret string: JSON objects with or without the two fields, and anything else
    const field = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined));
    const secretString = fc.oneof(
      fc
        .record({ username: field, password: field }, { requiredKeys: [] })
        .map((value) => JSON.stringify(value)),
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
    );

    fc.assert(
      fc.property(secretString, (text) => {
        // WHEN the tool and the function read it
        const read = (parse: () => unknown) => {
          try {
            return { ok: parse() };
          } catch (error) {
            return { refused: String(error) };
          }
        };
        const tool = read(() => webhookCredentials(text, SECRET_ARN));
        const lambda = read(() => parseWebhookSecret(text, SECRET_ARN));

        // THEN they agree, and a refusal is always the same words: it never quotes the value
        expect('ok' in tool).toBe('ok' in lambda);
        if ('ok' in tool) expect(tool.ok).toEqual(lambda.ok);
        else expect(tool.refused).toBe(REFUSAL);
      }),
    );
  });
});

describe('npm run webhook-url', () => {
  let mocks: ReturnType<typeof mockedClients>;
  beforeEach(() => {
    mocks = mockedClients();
  });

  it('prints the webhooks.yml lines and the same as environment variables, with the current credentials, on stdout only', async () => {
    // GIVEN
    mocks.cloudFormation.on(DescribeStacksCommand).resolves(stackWith(DEPLOYED));
    mocks.secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'openim', password: PASSWORD }) });

    // WHEN
    const { code, stdout, stderr } = await run([], mocks.clients);

    // THEN
    const url = `https://openim:${PASSWORD}@abc123defg.execute-api.eu-west-1.amazonaws.com`;
    const keys = ['afterSendSingleMsg', 'afterSendGroupMsg', 'afterMsgSaveDB', 'afterRevokeMsg'];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      [
        '# config/webhooks.yml',
        `url: ${url}`,
        ...keys.flatMap((key) => [`${key}:`, '  enable: true', '  timeout: 5']),
        '',
        '# or the same as environment variables of OpenIM (docker run --env-file, Compose env_file)',
        `IMENV_WEBHOOKS_URL=${url}`,
        ...keys.flatMap((key) => [
          `IMENV_WEBHOOKS_${key.toUpperCase()}_ENABLE=true`,
          `IMENV_WEBHOOKS_${key.toUpperCase()}_TIMEOUT=5`,
        ]),
        '',
      ].join('\n'),
    );
    expect(stdout).toContain(
      webhooksYaml(urlWithCredentials(API, { username: 'openim', password: PASSWORD })),
    );
    expect(mocks.cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: STACK,
    });
    // AWSCURRENT, the SDK's default: the version the function compares first.
    expect(mocks.secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
    });
  });

  it.each([
    ['--yaml', webhooksYaml],
    ['--env', webhooksEnv],
  ])('prints one form alone with %s, for a redirect into a file', async (option, form) => {
    mocks.cloudFormation.on(DescribeStacksCommand).resolves(stackWith(DEPLOYED));
    mocks.secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'openim', password: PASSWORD }) });

    const { code, stdout } = await run([option], mocks.clients);

    expect(code).toBe(0);
    expect(stdout).toBe(form(urlWithCredentials(API, { username: 'openim', password: PASSWORD })));
  });

  it('reads the stack named by --stack', async () => {
    // GIVEN
    mocks.cloudFormation.on(DescribeStacksCommand).resolves(stackWith(DEPLOYED));
    mocks.secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'openim', password: PASSWORD }) });

    // WHEN
    const { code } = await run(['--stack', 'OpenImCallbackReceiver-staging'], mocks.clients);

    // THEN
    expect(code).toBe(0);
    expect(mocks.cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'OpenImCallbackReceiver-staging',
    });
  });

  it('says when the stack does not exist, and where it looked', async () => {
    // GIVEN: CloudFormation's own answer for an unknown stack
    mocks.cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }),
      );

    // WHEN
    const { code, stdout, stderr } = await run(['--stack', 'Nope'], mocks.clients);

    // THEN
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/Stack "Nope" was not found in eu-west-1\. Fix: --stack NAME/);
    expect(mocks.secretsManager.calls()).toHaveLength(0);
  });

  it('says which output is missing from a stack deployed before the secret existed', async () => {
    // GIVEN
    const { [STACK_OUTPUTS.webhookSecretArn]: _, ...older } = DEPLOYED;
    mocks.cloudFormation.on(DescribeStacksCommand).resolves(stackWith(older));

    // WHEN
    const { code, stdout, stderr } = await run([], mocks.clients);

    // THEN
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`has no output ${STACK_OUTPUTS.webhookSecretArn}`);
    expect(stderr).toContain('Fix: npx cdk deploy');
    expect(mocks.secretsManager.calls()).toHaveLength(0);
  });

  it('says so when there are no AWS credentials', async () => {
    // GIVEN: what the SDK's default provider chain throws when it finds nothing
    mocks.cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );

    // WHEN
    const { code, stdout, stderr } = await run([], mocks.clients);

    // THEN
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/No AWS credentials found\. Sign in first/);
  });

  it('says what permission is missing when the secret may not be read', async () => {
    // GIVEN
    mocks.cloudFormation.on(DescribeStacksCommand).resolves(stackWith(DEPLOYED));
    mocks.secretsManager.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::123456789012:user/u is not authorized.'), {
        name: 'AccessDeniedException',
      }),
    );

    // WHEN
    const { code, stdout, stderr } = await run([], mocks.clients);

    // THEN
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('secretsmanager:GetSecretValue');
  });

  it('never prints a malformed secret', async () => {
    // GIVEN
    mocks.cloudFormation.on(DescribeStacksCommand).resolves(stackWith(DEPLOYED));
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: `{${PASSWORD}` });

    // WHEN
    const { code, stdout, stderr } = await run([], mocks.clients);

    // THEN
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`Secret ${SECRET_ARN} must be JSON`);
    expect(stderr).not.toContain(PASSWORD);
  });

  it('refuses unknown options with the usage', async () => {
    // WHEN
    const { code, stdout, stderr } = await run(['--stak', 'x'], mocks.clients);

    // THEN
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: npm run webhook-url -- [--stack NAME] [--region REGION]');
  });
});

describe('npm run webhook-url, as a user runs it', () => {
  const home = mkdtempSync(join(tmpdir(), 'openim-webhook-url-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('exits 1 with a clear message, offline, when the machine has no AWS credentials', async () => {
    // GIVEN: a shell with no credentials anywhere, and no instance metadata to ask
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
    Object.assign(env, {
      AWS_REGION: 'eu-west-1',
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });

    // WHEN
    const { code, stdout, stderr } = await runToEnd(
      'npm',
      ['run', '--silent', 'webhook-url', '--', '--stack', STACK],
      env,
    );

    // THEN
    expect(code, stderr).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('webhook-url: No AWS credentials found.');
  }, 60_000);
});
