import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS } from '../../infra/callback-api.ts';
import { CALLBACK_PATHS } from '../../lambda/callback-command.ts';
import {
  createTableInput,
  keyAttributes,
  MESSAGE_INDEXES,
  MESSAGE_KEY,
  MESSAGE_TTL_ATTRIBUTE,
} from '../../lambda/message-table.ts';
import { removeOutdirs, synthesize, templateFor } from './synth-app.ts';

/** A CloudFormation resource as it appears in the template. */
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The one resource of a type; fails if there is not exactly one. */
function only(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type) as Record<string, Resource>);
  expect(found, `resources of type ${type}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

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
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
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
        Timeout: 3,
      });
    });

    it('gets its table, service name, log level and source maps, and no TTL_DAYS', () => {
      // GIVEN
      const [tableId] = only(template, 'AWS::DynamoDB::Table');

      // THEN
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.exact({
            TABLE_NAME: { Ref: tableId },
            POWERTOOLS_SERVICE_NAME: 'openim-callback-receiver',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
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

  describe('table', () => {
    it('has the key, attributes and indexes of lambda/message-table.ts', () => {
      // GIVEN
      const [, table] = only(template, 'AWS::DynamoDB::Table');
      const properties = table.Properties;

      // THEN
      expect(properties.KeySchema).toEqual([{ AttributeName: MESSAGE_KEY.name, KeyType: 'HASH' }]);
      expect(byName(properties.AttributeDefinitions as { AttributeName: string }[])).toEqual(
        byName(keyAttributes().map((a) => ({ AttributeName: a.name, AttributeType: a.type }))),
      );
      expect(properties.GlobalSecondaryIndexes).toEqual(
        MESSAGE_INDEXES.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
    });

    it('is the same table the local engine creates', () => {
      // GIVEN
      const [, table] = only(template, 'AWS::DynamoDB::Table');
      const properties = table.Properties;
      const local = createTableInput('local');

      // THEN
      expect(properties.BillingMode).toBe(local.BillingMode);
      expect(properties.KeySchema).toEqual(local.KeySchema);
      expect(byName(properties.AttributeDefinitions as { AttributeName: string }[])).toEqual(
        byName(local.AttributeDefinitions ?? []),
      );
      expect(properties.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    });

    it('is on-demand, encrypted, recoverable and has no TTL', () => {
      // GIVEN
      const [, table] = only(template, 'AWS::DynamoDB::Table');

      // THEN
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      expect(table.Properties).not.toHaveProperty('TimeToLiveSpecification');
    });

    it('survives the stack: deletion protection on and retained', () => {
      // GIVEN
      const [, table] = only(template, 'AWS::DynamoDB::Table');

      // THEN
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });
  });

  describe('least privilege', () => {
    it('lets the function put items into its table and nothing more', () => {
      // GIVEN
      const [tableId] = only(template, 'AWS::DynamoDB::Table');
      const [, role] = only(template, 'AWS::IAM::Role');
      const [, policy] = only(template, 'AWS::IAM::Policy');
      const statements = (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement;

      // WHEN
      const dynamo = statements.filter((s) => stringsIn(s).some((v) => v.startsWith('dynamodb:')));

      // THEN
      expect(dynamo).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
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
      expect(statements).toHaveLength(2);
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
    it('gives the webhook URL, the table name and a region-aware console link', () => {
      // GIVEN
      const [apiId] = only(template, 'AWS::ApiGatewayV2::Api');
      const [tableId] = only(template, 'AWS::DynamoDB::Table');

      // THEN
      template.hasOutput('WebhookUrl', { Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] } });
      template.hasOutput('TableName', { Value: { Ref: tableId } });
      template.hasOutput('TableConsoleUrl', {
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

    it('has no secret in any output, parameter or resource', () => {
      // GIVEN
      const json = template.toJSON();

      // WHEN
      const outputs = stringsIn(json.Outputs);
      const everything = stringsIn(json);

      // THEN
      expect(Object.keys(json.Outputs).sort()).toEqual(
        ['TableConsoleUrl', 'TableName', 'WebhookUrl'].sort(),
      );
      for (const value of outputs) {
        expect(value).not.toMatch(/secret|password|token|authorization|:\/\/[^/]*@/i);
      }
      expect(everything.filter((v) => v.includes('{{resolve:'))).toEqual([]);
      expect(Object.keys(json.Parameters ?? {})).toEqual(['BootstrapVersion']);
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    });
  });
});

describe('ReceiverStack with context', () => {
  it(
    'turns TTL on for expiresAt and tells the function the days with ttlDays',
    () => {
      // GIVEN
      const template = templateFor({ ttlDays: '90' });

      // THEN
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: MESSAGE_TTL_ATTRIBUTE, Enabled: true },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ TTL_DAYS: '90' }) },
      });
    },
    SLOW,
  );

  it(
    'deletes the table with the stack, protection off, with tableRemovalPolicy=destroy',
    () => {
      // GIVEN
      const template = templateFor({ tableRemovalPolicy: 'destroy' });

      // WHEN
      const [, table] = only(template, 'AWS::DynamoDB::Table');

      // THEN
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
      expect(table.DeletionPolicy).toBe('Delete');
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
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        Name: 'OpenImCallbackReceiver-staging',
      });
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'WARN' }) },
      });
    },
    SLOW,
  );
});
