/**
 * The scheduled reconcile in the synthesized template: absent without `openimApiUrl`, and with it
 * a schedule, a function that runs one at a time with least privilege, OpenIM's secret (empty,
 * or an existing one), an output naming it, two alarms and a dashboard row.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { SettingsError } from '../../infra/settings.ts';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.ts';
import { METRICS_NAMESPACE } from '../../lambda/receiver-metrics.ts';
import { ReconcileMetricName } from '../../lambda/reconcile/reconcile-metrics.ts';
import { archiveTables, type Resource, type Resources } from '../support/template.ts';
import { dashboardWidgets } from './dashboard-body.ts';
import { removeOutdirs, templateFor } from './synth-app.ts';

const API = 'https://openim.example.com:10002';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:openim-AbCdEf';
const SLOW = 120_000;
afterAll(removeOutdirs);

/** The template's resources of `type`, by logical ID. */
function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Resources).filter(
    ([, r]) => r.Type === type,
  );
}

/** The reconcile function (the one whose code is reconcile-handler's), with its logical ID. */
function reconcileFunction(template: Template): [string, Resource] {
  const found = resourcesOfType(template, 'AWS::Lambda::Function').filter(([, fn]) =>
    JSON.stringify(fn.Properties.Environment).includes('OPENIM_API_URL'),
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The statements of the policies attached to a function's role, its logs' left out. */
function statementsOf(template: Template, fn: Resource): Record<string, unknown>[] {
  const [roleId] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      JSON.stringify(policy.Properties.Roles).includes(JSON.stringify({ Ref: roleId })),
    )
    .flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    )
    .filter((statement) => !JSON.stringify(statement.Action).includes('logs:'));
}

describe('the scheduled reconcile', () => {
  it(
    'is not there without openimApiUrl: the stack is as before',
    () => {
      const template = templateFor();

      expect(resourcesOfType(template, 'AWS::Lambda::Function')).toHaveLength(1);
      expect(resourcesOfType(template, 'AWS::Events::Rule')).toEqual([]);
      expect(resourcesOfType(template, 'AWS::SecretsManager::Secret')).toHaveLength(1);
      expect(Object.keys(template.toJSON().Outputs)).not.toContain(STACK_OUTPUTS.openImSecretArn);
    },
    SLOW,
  );

  it(
    'runs hourly, one run at a time, for up to 15 minutes, on the Node.js Lambda runs',
    () => {
      // GIVEN / WHEN
      const template = templateFor({ openimApiUrl: API });
      const [functionId, fn] = reconcileFunction(template);
      const [, rule] = resourcesOfType(template, 'AWS::Events::Rule')[0] as [string, Resource];

      // THEN
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Timeout: 900,
        ReservedConcurrentExecutions: 1,
        Handler: 'index.handler',
      });
      expect(rule.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        ],
      });
    },
    SLOW,
  );

  it(
    "keeps OpenIM's secret in an empty secret of its own, named by ARN only, and outputs that ARN",
    () => {
      const template = templateFor({ openimApiUrl: API });
      const [, fn] = reconcileFunction(template);
      const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret');
      const [secretId, secret] = secrets.find(([, s]) =>
        String(s.Properties.Description).includes("OpenIM's secret"),
      ) as [string, Resource];

      expect(secrets).toHaveLength(2);
      expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
      expect(secret.Properties).not.toHaveProperty('SecretString');
      expect((fn.Properties.Environment as { Variables: object }).Variables).toMatchObject({
        OPENIM_API_URL: API,
        OPENIM_SECRET_ARN: { Ref: secretId },
        OPENIM_ADMIN_USER: 'imAdmin',
      });
      expect(template.toJSON().Outputs[STACK_OUTPUTS.openImSecretArn]).toMatchObject({
        Value: { Ref: secretId },
      });
    },
    SLOW,
  );

  it(
    'may read and write the two tables by key and read its secret, nothing more',
    () => {
      const template = templateFor({ openimApiUrl: API });
      const [, fn] = reconcileFunction(template);
      const { messages, seqs } = archiveTables(template.toJSON().Resources as Resources);
      const secretId = (
        (fn.Properties.Environment as { Variables: Record<string, { Ref: string }> }).Variables
          .OPENIM_SECRET_ARN as { Ref: string }
      ).Ref;
      const statements = statementsOf(template, fn);

      expect(statements).toEqual([
        {
          Action: [
            'dynamodb:BatchGetItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [messages[0], 'Arn'] },
        },
        {
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [seqs[0], 'Arn'] },
        },
        { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secretId } },
      ]);
    },
    SLOW,
  );

  it(
    'takes its schedule, an existing secret and the admin user from context',
    () => {
      const template = templateFor({
        openimApiUrl: API,
        reconcileSchedule: 'cron(0 3 * * ? *)',
        openimSecretArn: SECRET_ARN,
        openimAdminUser: 'opsAdmin',
      });
      const [, fn] = reconcileFunction(template);
      const [, rule] = resourcesOfType(template, 'AWS::Events::Rule')[0] as [string, Resource];

      expect(rule.Properties.ScheduleExpression).toBe('cron(0 3 * * ? *)');
      expect(resourcesOfType(template, 'AWS::SecretsManager::Secret')).toHaveLength(1);
      expect((fn.Properties.Environment as { Variables: object }).Variables).toMatchObject({
        OPENIM_SECRET_ARN: SECRET_ARN,
        OPENIM_ADMIN_USER: 'opsAdmin',
      });
      expect(statementsOf(template, fn)).toContainEqual({
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: SECRET_ARN,
      });
    },
    SLOW,
  );

  it(
    'alarms when a run recovered messages or failed, and graphs each run on the dashboard',
    () => {
      const template = templateFor({ openimApiUrl: API });
      const alarms = Object.fromEntries(
        resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => [
          a.Properties.AlarmName,
          a.Properties,
        ]),
      );
      const resources = template.toJSON().Resources as Record<string, unknown>;
      const titles = dashboardWidgets(resources).map((w) => w.properties.title);

      for (const [name, metric] of [
        ['messages-recovered', ReconcileMetricName.recovered],
        ['reconcile-failed', ReconcileMetricName.runsFailed],
      ] as const) {
        expect(alarms[`OpenImCallbackReceiver-${name}`], name).toMatchObject({
          Metrics: [
            {
              MetricStat: {
                Metric: {
                  Namespace: METRICS_NAMESPACE,
                  MetricName: metric,
                  Dimensions: [{ Name: 'service', Value: 'OpenImCallbackReceiver' }],
                },
                Stat: 'Sum',
              },
            },
          ],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
      expect(titles).toEqual(
        expect.arrayContaining(['Reconcile: what each run did', 'Reconcile: runs']),
      );
    },
    SLOW,
  );

  it('refuses an OpenIM secret without an API to use it with', () => {
    expect(() => templateFor({ openimSecretArn: SECRET_ARN })).toThrow(
      'Context "openimSecretArn" is set but "openimApiUrl" is not',
    );
  });

  it.each([
    ['openimApiUrl', 'openim.example.com:10002', "not the URL of OpenIM's API"],
    ['openimApiUrl', 'https://admin:pw@openim.example.com', "not the URL of OpenIM's API"],
    ['reconcileSchedule', 'every hour', 'not an EventBridge schedule'],
    ['reconcileSchedule', 'rate(1 minute)', 'not an EventBridge schedule'],
    ['openimSecretArn', 'openim-secret', 'not the complete ARN of a Secrets Manager secret'],
  ])('refuses %s=%s, naming the fix', (key, value, problem) => {
    expect(() => templateFor({ openimApiUrl: API, [key]: value })).toThrow(SettingsError);
    expect(() => templateFor({ openimApiUrl: API, [key]: value })).toThrow(problem);
  });
});
