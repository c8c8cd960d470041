/**
 * The one explanation of failures, shared by every tool. CloudFormation, DynamoDB in AWS and SQS
 * have no local engine for these failures, so their clients are mocked with aws-sdk-client-mock.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { main as records } from '../../tools/records.ts';
import { main as replay } from '../../tools/replay.ts';
import { readStackOutputs, requiredOutputs } from '../../tools/stack-reader.ts';
import { main as stats } from '../../tools/stats.ts';
import { explainFailure, StackNotFoundError, ToolError } from '../../tools/tool-failure.ts';
import { main as webhookUrl } from '../../tools/webhook-url.ts';
import { freePort } from '../support/child.ts';
import { runMain } from '../support/tool-main.ts';

/** An SDK error as the SDK throws it: an Error with its name. */
const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Every AWS client any tool asks for, in eu-west-1, each one mockable. */
function awsClients() {
  const config = {
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const clients = {
    cloudFormation: new CloudFormationClient(config),
    dynamoDB: new DynamoDBClient(config),
    sqs: new SQSClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
  return {
    clients,
    cloudFormation: mockClient(clients.cloudFormation),
    dynamoDB: mockClient(clients.dynamoDB),
  };
}

describe('explainFailure', () => {
  it.each([
    [
      'no credentials',
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      /^No AWS credentials found\. Sign in first/,
    ],
    ['no region', new Error('Region is missing'), /^No AWS region\. Fix: --region eu-west-1/],
    [
      'an expired token',
      sdkError('ExpiredTokenException', 'The security token included in the request is expired'),
      /^Your AWS credentials have expired\. Sign in again/,
    ],
    [
      'refused credentials',
      sdkError('UnrecognizedClientException', 'The security token is invalid.'),
      /^AWS did not accept your credentials in eu-west-1: The security token is invalid\.$/,
    ],
    [
      'access denied',
      sdkError('AccessDeniedException', 'User u is not authorized.'),
      /^Access denied: User u is not authorized\. Your credentials need dynamodb:Query\.$/,
    ],
    [
      'a refused connection to the local engine',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }),
      /^the local engine is not running: start the receiver \(npm start\) first, or, if it runs with another DATA_DIR or DYNAMODB_PORT, set the same here$/,
    ],
    ['a problem the tool explained itself', new ToolError('Fix: this.'), /^Fix: this\.$/],
  ])('explains %s with the fix', (_, error, explanation) => {
    expect(explainFailure(error, { region: 'eu-west-1', permissions: 'dynamodb:Query' })).toMatch(
      explanation,
    );
  });

  it('does not blame the local engine for a refused connection elsewhere, nor explain the unknown', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
      code: 'ECONNREFUSED',
    });

    expect(explainFailure(refused, { localEngine: false })).toMatch(/^Nothing answers/);
    expect(explainFailure(new Error('something else'))).toBeUndefined();
  });
});

describe('the stack reader', () => {
  it('reads the outputs once, and names missing ones with the fix', async () => {
    const { clients, cloudFormation } = awsClients();
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'S',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'TableName', OutputValue: 'T' }],
        },
      ],
    });

    const outputs = await readStackOutputs(clients.cloudFormation, 'S');

    expect(outputs).toEqual({ TableName: 'T' });
    expect(requiredOutputs(outputs, ['TableName'], 'S')).toEqual(['T']);
    expect(() => requiredOutputs(outputs, ['TableName', 'FallbackQueueUrl'], 'S')).toThrow(
      /^Stack "S" has no output FallbackQueueUrl\. .*Fix: npx cdk deploy/,
    );
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('says where it looked for a stack that does not exist', async () => {
    const { clients, cloudFormation } = awsClients();
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(sdkError('ValidationError', 'Stack with id Nope does not exist'));

    const read = readStackOutputs(clients.cloudFormation, 'Nope');

    await expect(read).rejects.toBeInstanceOf(StackNotFoundError);
    await expect(read).rejects.toThrow(/^Stack "Nope" was not found in eu-west-1\. Fix: --stack/);
  });
});

describe('every tool explains a failure the same way', () => {
  const TOOLS = [
    ['records', records, ['sent', 'user_a']],
    ['stats', stats, []],
    ['replay', replay, []],
    ['webhook-url', webhookUrl, []],
  ] as const;

  it.each(TOOLS)('%s: an unknown stack', async (_, main, argv) => {
    // GIVEN CloudFormation's own answer for an unknown stack
    const { clients, cloudFormation } = awsClients();
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(sdkError('ValidationError', 'Stack with id Nope does not exist'));

    // WHEN
    const result = await runMain(main, [...argv, '--stack', 'Nope'], { clients: () => clients });

    // THEN
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'Stack "Nope" was not found in eu-west-1. Fix: --stack NAME (the stackName you deployed with)',
    );
  });

  it.each(TOOLS)('%s: no AWS credentials', async (_, main, argv) => {
    const { clients, cloudFormation } = awsClients();
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      );

    const result = await runMain(main, [...argv, '--stack', 'S'], { clients: () => clients });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No AWS credentials found. Sign in first');
  });

  it.each([
    ['records', records, ['sent', 'user_a']],
    ['stats', stats, []],
  ] as const)(
    '%s: access denied on the table names the permission needed',
    async (_, main, argv) => {
      const { clients, dynamoDB } = awsClients();
      dynamoDB.on(QueryCommand).rejects(sdkError('AccessDeniedException', 'Not authorized.'));

      const result = await runMain(main, [...argv, '--table', 'T'], { clients: () => clients });

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Access denied: Not authorized\. Your credentials need dynamodb:Query/,
      );
    },
  );

  it.each([
    ['records', records, ['sent', 'user_a']],
    ['stats', stats, []],
  ] as const)(
    '%s: says which AWS tables it reads, and names them with the fix when they are not there',
    async (_, main, argv) => {
      const { clients, dynamoDB } = awsClients();
      dynamoDB
        .on(QueryCommand)
        .rejects(sdkError('ResourceNotFoundException', 'Requested resource not found'));

      const result = await runMain(main, [...argv, '--table', 'T', '--seq-table', 'S'], {
        clients: () => clients,
      });

      expect(result.code).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe(
        'Reading AWS in eu-west-1: tables "T" and "S", from --table and --seq-table',
      );
      expect(lines.at(-1)).toMatch(
        /^\w+: table "T" or "S" was not found in eu-west-1\. Fix: check --table and --seq-table \(or --stack\) and --region/,
      );
    },
  );

  it.each([
    ['records', records, ['sent', 'user_a']],
    ['stats', stats, []],
  ] as const)('%s: an expired token', async (_, main, argv) => {
    const { clients, dynamoDB } = awsClients();
    dynamoDB.on(QueryCommand).rejects(sdkError('ExpiredTokenException', 'expired'));

    const result = await runMain(main, [...argv, '--table', 'T'], { clients: () => clients });

    expect(result.stderr).toContain('Your AWS credentials have expired.');
  });

  it.each([
    ['records', records, ['sent', 'user_a']],
    ['stats', stats, []],
  ] as const)('%s: the local engine not running', async (_, main, argv) => {
    const result = await runMain(main, argv, { env: { DYNAMODB_PORT: String(await freePort()) } });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'the local engine is not running: start the receiver (npm start) first, or, if it runs ' +
        'with another DATA_DIR or DYNAMODB_PORT, set the same here',
    );
  });
});
