import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS, CallbackApi } from '../../infra/callback-api.ts';
import { DEFAULT_SETTINGS } from '../../infra/settings.ts';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.ts';
import { CALLBACK_PATHS } from '../../lambda/callbacks.ts';
import {
  createTableInput,
  MESSAGE_TTL_ATTRIBUTE,
  MESSAGES_TABLE,
  SEQS_TABLE,
} from '../../lambda/table-schema.ts';
import {
  archiveTables,
  only as onlyResource,
  type Resource,
  type Resources,
} from '../support/template.ts';
import { removeOutdirs, synthesize, templateFor } from './synth-app.ts';

/** The template's resources. */
const resourcesOf = (template: Template) => template.toJSON().Resources as Resources;

/** The one resource of `type` in the template, with its logical ID. */
const only = (template: Template, type: string) => onlyResource(resourcesOf(template), type);

/** The template's messages and seqs tables. */
const tables = (template: Template) => archiveTables(resourcesOf(template));

/** Every string anywhere inside a value, e.g. inside intrinsic functions. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** Every IAM policy document in the template: policies, managed policies and role documents. */
function policyDocuments(template: Template): unknown[] {
  const all = template.toJSON().Resources as Record<string, Resource>;
  return Object.values(all).flatMap(({ Type, Properties }) => {
    if (Type === 'AWS::IAM::Policy' || Type === 'AWS::IAM::ManagedPolicy') {
      return [Properties.PolicyDocument];
    }
    if (Type === 'AWS::IAM::Role') {
      const inline = (Properties.Policies ?? []) as { PolicyDocument: unknown }[];
      return [Properties.AssumeRolePolicyDocument, ...inline.map((p) => p.PolicyDocument)];
    }
    return [];
  });
}

/** Every resource policy document in the template: queue and topic policies. */
function resourcePolicyDocuments(template: Template): unknown[] {
  const all = template.toJSON().Resources as Record<string, Resource>;
  return Object.values(all)
    .filter(({ Type }) => Type === 'AWS::SQS::QueuePolicy' || Type === 'AWS::SNS::TopicPolicy')
    .map(({ Properties }) => Properties.PolicyDocument);
}

/** Sorts attribute definitions by name, so order does not matter. */
function byName<T extends { AttributeName?: string | undefined }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));
}

const SLOW = 60_000;
afterAll(removeOutdirs);

describe('ReceiverStack with the default settings', () => {
  let template: Template;
  beforeAll(() => {
    template = templateFor();
  }, SLOW);

  describe('API', () => {
    it('has one POST route per callback path, and no other', () => {
      // WHEN
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));

      // THEN
      expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
        CALLBACK_PATHS.map((path) => `POST ${path}`).sort(),
      );
    });

    it('sends every route to the function through a payload v2 Lambda proxy integration', () => {
      // GIVEN
      const [functionId] = only(template, 'AWS::Lambda::Function');
      const [integrationId] = only(template, 'AWS::ApiGatewayV2::Integration');

      // THEN
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
      template.allResourcesProperties('AWS::ApiGatewayV2::Route', {
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    });

    it('serves the $default stage, auto-deployed and throttled', () => {
      // THEN
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      });
    });

    it('writes JSON access logs that leave out anything that could carry a credential', () => {
      // GIVEN
      const [, stage] = only(template, 'AWS::ApiGatewayV2::Stage');
      const [logGroupId] = Object.entries(template.findResources('AWS::Logs::LogGroup')).find(
        ([id]) => id.startsWith('CallbackApiAccessLogs'),
      ) ?? [''];
      const settings = stage.Properties.AccessLogSettings as {
        DestinationArn: unknown;
        Format: string;
      };

      // WHEN
      const format: Record<string, string> = JSON.parse(settings.Format);

      // THEN
      expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      expect(format.requestId).toBe('$context.requestId');
      for (const variable of Object.values(format)) {
        expect(variable).not.toMatch(/header|authoriz|query|body|cookie|user|caller|principal/i);
      }
    });
  });

  describe('function', () => {
    it('runs Node.js 24 on arm64 from the esbuild ESM bundle', () => {
      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 4,
      });
    });

    it('gets its tables, secret ARN, fallback queue, service name and log level, and nothing else', () => {
      // GIVEN
      const [tableId] = tables(template).messages;
      const [seqTableId] = tables(template).seqs;
      const [secretId] = only(template, 'AWS::SecretsManager::Secret');
      const [queueId] = only(template, 'AWS::SQS::Queue');

      // THEN: no TTL_DAYS and no ALLOWED_SOURCE_CIDRS without their context
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.exact({
            TABLE_NAME: { Ref: tableId },
            SEQ_TABLE_NAME: { Ref: seqTableId },
            WEBHOOK_SECRET_ARN: { Ref: secretId },
            FALLBACK_QUEUE_URL: { Ref: queueId },
            // The stack's name: two stacks in a region never count each other's messages
            POWERTOOLS_SERVICE_NAME: 'OpenImCallbackReceiver',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      });
    });

    it('logs to its own log group', () => {
      // GIVEN
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const logGroups = template.findResources('AWS::Logs::LogGroup');

      // WHEN
      const { LogGroup } = fn.Properties.LoggingConfig as { LogGroup: { Ref: string } };

      // THEN
      expect(Object.keys(logGroups)).toContain(LogGroup.Ref);
    });
  });

  describe('tables', () => {
    it.each([
      ['messages', MESSAGES_TABLE],
      ['seqs', SEQS_TABLE],
    ] as const)(
      'builds the %s table exactly as the local engine does, from lambda/table-schema.ts',
      (name, definition) => {
        // GIVEN
        const [, table] = tables(template)[name];
        const properties = table.Properties;
        const local = createTableInput(definition, 'local');

        // THEN
        expect(properties.BillingMode).toBe(local.BillingMode);
        expect(properties.KeySchema).toEqual(local.KeySchema);
        expect(byName(properties.AttributeDefinitions as { AttributeName: string }[])).toEqual(
          byName(local.AttributeDefinitions ?? []),
        );
        expect(properties.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
      },
    );

    it('projects into no index seq, operationID or receivedAt, and never a key twice', () => {
      // GIVEN the messages table's indexes
      const [, table] = tables(template).messages;
      const indexes = table.Properties.GlobalSecondaryIndexes as {
        KeySchema: { AttributeName: string }[];
        Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
      }[];

      // THEN completing a record (seq, operationID) writes no index, and DynamoDB's rule holds
      // that a projection lists no key of the table or of its own index
      expect(indexes).toHaveLength(MESSAGES_TABLE.indexes.length);
      for (const { KeySchema, Projection } of indexes) {
        expect(Projection.ProjectionType).not.toBe('ALL');
        const included = Projection.NonKeyAttributes ?? [];
        for (const attribute of ['seq', 'operationID', 'receivedAt', 'serverMsgID']) {
          expect(included).not.toContain(attribute);
        }
        for (const { AttributeName } of KeySchema) expect(included).not.toContain(AttributeName);
      }
    });

    it('are on-demand, encrypted, recoverable and have no TTL', () => {
      for (const [, table] of Object.values(tables(template))) {
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        });
        expect(table.Properties).not.toHaveProperty('TimeToLiveSpecification');
      }
    });

    it('survive the stack: deletion protection on and retained', () => {
      for (const [, table] of Object.values(tables(template))) {
        expect(table.Properties.DeletionProtectionEnabled).toBe(true);
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.UpdateReplacePolicy).toBe('Retain');
      }
    });
  });

  describe('least privilege', () => {
    it('lets the function put and update messages and update seqs, and nothing more', () => {
      // GIVEN
      const [tableId] = tables(template).messages;
      const [seqTableId] = tables(template).seqs;
      const [, role] = only(template, 'AWS::IAM::Role');
      const [, policy] = only(template, 'AWS::IAM::Policy');
      const statements = (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;

      // WHEN
      const dynamo = statements.filter((s) => stringsIn(s).some((v) => v.startsWith('dynamodb:')));

      // THEN: no DeleteItem, no BatchWriteItem, no index, no read
      expect(dynamo).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: { 'Fn::GetAtt': [seqTableId, 'Arn'] },
        },
      ]);
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
    });

    it('lets the function write only to its own log group', () => {
      // GIVEN
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const [, policy] = only(template, 'AWS::IAM::Policy');
      const statements = (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;
      const { LogGroup } = fn.Properties.LoggingConfig as { LogGroup: { Ref: string } };

      // WHEN
      const logs = statements.filter((s) => stringsIn(s).some((v) => v.startsWith('logs:')));

      // THEN
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [LogGroup.Ref, 'Arn'] },
        },
      ]);
    });

    it('lets the function read its secret, send to its queue, write its tables and log: nothing else', () => {
      // GIVEN
      const [tableId] = tables(template).messages;
      const [seqTableId] = tables(template).seqs;
      const [secretId] = only(template, 'AWS::SecretsManager::Secret');
      const [queueId] = only(template, 'AWS::SQS::Queue');
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const [, policy] = only(template, 'AWS::IAM::Policy');
      const { LogGroup } = fn.Properties.LoggingConfig as { LogGroup: { Ref: string } };

      // WHEN
      const statements = (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;

      // THEN: GetSecretValue only (no DescribeSecret, no kms:Decrypt: the AWS managed key)
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [LogGroup.Ref, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: { 'Fn::GetAtt': [seqTableId, 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: { Ref: secretId },
        },
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
        },
      ]);
    });

    it('has no wildcard in any action or resource of any IAM policy', () => {
      // GIVEN
      const documents = policyDocuments(template);

      // WHEN
      const wildcards = documents
        .flatMap((d) => (d as { Statement: Record<string, unknown>[] }).Statement)
        .flatMap((s) => stringsIn([s.Action, s.NotAction, s.Resource, s.NotResource]))
        .filter((value) => value.includes('*'));

      // THEN
      expect(documents.length).toBeGreaterThan(0);
      expect(wildcards).toEqual([]);
    });

    it("has one resource policy, the queue's, and it only denies", () => {
      // GIVEN: the queue's policy (and, with alarmEmail, the topic's)
      const documents = resourcePolicyDocuments(template);

      // WHEN
      const allows = documents
        .flatMap((d) => (d as { Statement: Record<string, unknown>[] }).Statement)
        .filter((s) => s.Effect === 'Allow');

      // THEN
      expect(documents).toHaveLength(1);
      expect(allows).toEqual([]);
    });
  });

  describe('webhook secret', () => {
    it('is generated by Secrets Manager at deploy time: user openim, a URL-safe password', () => {
      // GIVEN
      const [, secret] = only(template, 'AWS::SecretsManager::Secret');

      // THEN
      expect(secret.Properties.GenerateSecretString).toEqual({
        SecretStringTemplate: JSON.stringify({ username: 'openim' }),
        GenerateStringKey: 'password',
        PasswordLength: 40,
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
    });

    it('has no value in the template, and no rotation to lock OpenIM out', () => {
      // GIVEN
      const [, secret] = only(template, 'AWS::SecretsManager::Secret');

      // THEN
      expect(secret.Properties).not.toHaveProperty('SecretString');
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    });
  });

  describe('fallback queue', () => {
    it('keeps records 14 days, encrypted, with room for the largest record', () => {
      // GIVEN
      const [, queue] = only(template, 'AWS::SQS::Queue');

      // THEN: one DynamoDB item is at most 400 KB; SQS takes up to 1 MiB
      expect(queue.Properties).toEqual({
        MessageRetentionPeriod: 14 * 24 * 60 * 60,
        MaximumMessageSize: 1_048_576,
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 120,
      });
    });

    it('refuses any request that is not over TLS', () => {
      // GIVEN
      const [queueId] = only(template, 'AWS::SQS::Queue');

      // THEN
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 'sqs:*',
              Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      });
    });

    it('survives the stack, with the records waiting in it', () => {
      // GIVEN
      const [, queue] = only(template, 'AWS::SQS::Queue');

      // THEN
      expect(queue.DeletionPolicy).toBe('Retain');
      expect(queue.UpdateReplacePolicy).toBe('Retain');
    });

    it('is in alarm within a minute while it holds a record, and quiet while it is empty', () => {
      // GIVEN
      const [queueId] = only(template, 'AWS::SQS::Queue');

      // THEN
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'OpenImCallbackReceiver-fallback-not-empty',
        AlarmDescription: Match.stringLikeRegexp(
          'npm run replay -- --stack OpenImCallbackReceiver',
        ),
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('warns days before SQS would delete a record nobody replayed', () => {
      // GIVEN
      const [queueId] = only(template, 'AWS::SQS::Queue');

      // THEN
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'OpenImCallbackReceiver-fallback-record-expiring',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 10 * 24 * 60 * 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });
  });

  describe('logs', () => {
    it('gives every log group a retention', () => {
      // GIVEN
      const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));

      // THEN
      expect(logGroups).toHaveLength(2);
      for (const group of logGroups) expect(group.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('outputs', () => {
    it('gives the webhook URL, the table names and a region-aware console link', () => {
      // GIVEN
      const [apiId] = only(template, 'AWS::ApiGatewayV2::Api');
      const [tableId] = tables(template).messages;
      const [seqTableId] = tables(template).seqs;

      // THEN
      template.hasOutput(STACK_OUTPUTS.webhookUrl, {
        Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] },
      });
      template.hasOutput(STACK_OUTPUTS.tableName, { Value: { Ref: tableId } });
      template.hasOutput(STACK_OUTPUTS.seqTableName, { Value: { Ref: seqTableId } });
      template.hasOutput(STACK_OUTPUTS.tableConsoleUrl, {
        Value: {
          'Fn::Join': [
            '',
            [
              'https://',
              { Ref: 'AWS::Region' },
              '.console.aws.amazon.com/dynamodbv2/home?region=',
              { Ref: 'AWS::Region' },
              '#item-explorer?table=',
              { Ref: tableId },
            ],
          ],
        },
      });
    });

    it("gives the secret's ARN and the fallback queue's URL, for the tools", () => {
      // GIVEN
      const [secretId] = only(template, 'AWS::SecretsManager::Secret');
      const [queueId] = only(template, 'AWS::SQS::Queue');

      // THEN: Ref of a secret is its ARN, Ref of a queue its URL
      template.hasOutput(STACK_OUTPUTS.webhookSecretArn, { Value: { Ref: secretId } });
      template.hasOutput(STACK_OUTPUTS.fallbackQueueUrl, { Value: { Ref: queueId } });
    });

    it('has no secret value in any output, environment variable, parameter or resource', () => {
      // GIVEN
      const json = template.toJSON();
      const [secretId] = only(template, 'AWS::SecretsManager::Secret');
      const [, fn] = only(template, 'AWS::Lambda::Function');
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;

      // WHEN
      const outputValues = Object.values(json.Outputs as Record<string, { Value: unknown }>).map(
        (output) => output.Value,
      );
      const everything = stringsIn(json);

      // THEN: only references to the secret (its ARN), never its value or a dynamic reference
      // (the reconcile's secret output comes only with openimApiUrl: reconcile-stack.test.ts)
      const outputs = Object.values(STACK_OUTPUTS).filter(
        (o) => o !== STACK_OUTPUTS.openImSecretArn,
      );
      expect(Object.keys(json.Outputs).sort()).toEqual(outputs.sort());
      for (const value of [...outputValues, ...Object.values(variables)]) {
        expect(JSON.stringify(value)).not.toMatch(/SecretString|password|resolve:|:\/\/[^/]*@/i);
        if (JSON.stringify(value).includes(secretId)) expect(value).toEqual({ Ref: secretId });
      }
      expect(everything.filter((v) => v.includes('{{resolve:'))).toEqual([]);
      expect(everything.filter((v) => /SecretString"?\s*:/.test(v))).toEqual([]);
      expect(Object.keys(json.Parameters ?? {})).toEqual(['BootstrapVersion']);
    });
  });
});

describe('ReceiverStack with context', () => {
  it(
    'turns TTL on for expiresAt and tells the function the days with ttlDays',
    () => {
      // GIVEN
      const template = templateFor({ ttlDays: '90' });

      // THEN: the seqs expire with their messages
      for (const [, table] of Object.values(tables(template))) {
        expect(table.Properties.TimeToLiveSpecification).toEqual({
          AttributeName: MESSAGE_TTL_ATTRIBUTE,
          Enabled: true,
        });
      }
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ TTL_DAYS: '90' }) },
      });
    },
    SLOW,
  );

  it(
    'deletes the table and the fallback queue with the stack with tableRemovalPolicy=destroy',
    () => {
      // GIVEN
      const template = templateFor({ tableRemovalPolicy: 'destroy' });

      // WHEN
      const [, queue] = only(template, 'AWS::SQS::Queue');

      // THEN
      for (const [, table] of Object.values(tables(template))) {
        expect(table.Properties.DeletionProtectionEnabled).toBe(false);
        expect(table.DeletionPolicy).toBe('Delete');
      }
      expect(queue.DeletionPolicy).toBe('Delete');
    },
    SLOW,
  );

  it(
    'names the stack, and sets retention, throttling and log level as asked',
    () => {
      // GIVEN
      const { stack } = synthesize({
        stackName: 'OpenImCallbackReceiver-staging',
        logRetentionDays: '7',
        throttlingRateLimit: '10',
        throttlingBurstLimit: '20',
        logLevel: 'WARN',
      });

      // WHEN
      const template = Template.fromStack(stack);

      // THEN
      expect(stack.stackName).toBe('OpenImCallbackReceiver-staging');
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'OpenImCallbackReceiver-staging-fallback-not-empty',
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        Name: 'OpenImCallbackReceiver-staging',
      });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_LOG_LEVEL: 'WARN',
            // Its own metrics: the alarms of a second stack in the region never count these
            POWERTOOLS_SERVICE_NAME: 'OpenImCallbackReceiver-staging',
          }),
        },
      });
      const lost = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: 'OpenImCallbackReceiver-staging-messages-lost' },
      });
      expect(JSON.stringify(lost)).toContain(
        '{"Name":"service","Value":"OpenImCallbackReceiver-staging"}',
      );
    },
    SLOW,
  );

  it(
    'tells the function the allowed source CIDRs with allowedSourceCidrs',
    () => {
      // GIVEN: a bare address is one host
      const template = templateFor({
        allowedSourceCidrs: '203.0.113.0/24, 2001:db8::/32,198.51.100.7',
      });

      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            ALLOWED_SOURCE_CIDRS: '203.0.113.0/24,2001:db8::/32,198.51.100.7/32',
          }),
        },
      });
    },
    SLOW,
  );
});

describe('CallbackApi on its own', () => {
  it('throttles at the deployment defaults when given no limits', () => {
    // GIVEN
    const stack = new Stack();
    const handler = new LambdaFunction(stack, 'Handler', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({});'),
    });

    // WHEN
    new CallbackApi(stack, 'CallbackApi', { handler });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.throttlingRateLimit,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.throttlingBurstLimit,
      },
    });
  });
});
