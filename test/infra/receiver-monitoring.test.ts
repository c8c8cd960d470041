import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ID_DIMENSION, API_THROTTLED_METRIC } from '../../infra/receiver-monitoring.ts';
import { ReceiverStack } from '../../infra/receiver-stack.ts';
import { DEFAULT_SETTINGS } from '../../infra/settings.ts';
import { CALLBACKS } from '../../lambda/callbacks.ts';
import { METRICS_NAMESPACE, MetricName } from '../../lambda/receiver-metrics.ts';

/** The `service` dimension of the default stack's metrics: its name, unique in a region. */
const SERVICE_NAME = DEFAULT_SETTINGS.stackName;

import { MESSAGES_TABLE } from '../../lambda/table-schema.ts';
import { archiveTables, type Resource, type Resources } from '../support/template.ts';
import { dashboardWidgets, type Widget } from './dashboard-body.ts';
import {
  CDK_JSON_CONTEXT,
  removeOutdirs,
  SKIP_BUNDLING,
  synthesize,
  tempDir,
  templateFor,
} from './synth-app.ts';

/** A metric as an alarm reads it, whether CDK rendered it flat or as a one-entry `Metrics`. */
interface AlarmMetric {
  readonly Namespace: unknown;
  readonly MetricName: unknown;
  readonly Dimensions: unknown;
  readonly Stat: unknown;
  readonly Period: unknown;
}

/** One entry of an alarm's `Metrics`. */
interface MetricDataQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
  readonly MetricStat?: {
    readonly Metric: { Namespace: unknown; MetricName: unknown; Dimensions?: unknown };
    readonly Stat: unknown;
    readonly Period: unknown;
  };
}

/** The alarm named `OpenImCallbackReceiver-<suffix>`, with its logical ID. */
function alarmNamed(template: Template, suffix: string): [string, Record<string, unknown>] {
  const found = Object.entries(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: `OpenImCallbackReceiver-${suffix}` },
    }) as Record<string, Resource>,
  );
  expect(found, `alarm ${suffix}`).toHaveLength(1);
  const [id, alarm] = found[0] as [string, Resource];
  return [id, alarm.Properties];
}

/** The logical IDs of the messages and seqs tables. */
function tableIds(template: Template): { messages: string; seqs: string } {
  const { messages, seqs } = archiveTables(template.toJSON().Resources as Resources);
  return { messages: messages[0], seqs: seqs[0] };
}

/** The one metric an alarm watches, however CDK rendered it. */
function alarmMetric(alarm: Record<string, unknown>): AlarmMetric {
  if (alarm.MetricName !== undefined) {
    return {
      Namespace: alarm.Namespace,
      MetricName: alarm.MetricName,
      Dimensions: alarm.Dimensions,
      Stat: alarm.Statistic ?? alarm.ExtendedStatistic,
      Period: alarm.Period,
    };
  }
  const queries = alarm.Metrics as MetricDataQuery[];
  expect(queries, 'a single metric, not an expression').toHaveLength(1);
  const stat = queries[0]?.MetricStat;
  return {
    Namespace: stat?.Metric.Namespace,
    MetricName: stat?.Metric.MetricName,
    Dimensions: stat?.Metric.Dimensions,
    Stat: stat?.Stat,
    Period: stat?.Period,
  };
}

/** How an alarm compares and treats missing data: the same for every alarm of the receiver. */
const AT_LEAST_ONCE = {
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  EvaluationPeriods: 1,
  TreatMissingData: 'notBreaching',
} as const;

/** The receiver's own metric, as the function emits it: its namespace and `service` dimension. */
function receiverMetric(name: string, period: number): AlarmMetric {
  return {
    Namespace: METRICS_NAMESPACE,
    MetricName: name,
    Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
    Stat: 'Sum',
    Period: period,
  };
}

/** Every metric line of every graph, e.g. `AWS/Lambda Errors FunctionName <Ref Fn> stat=Sum`. */
function metricLines(widgets: readonly Widget[]): string[] {
  return widgets.flatMap(({ properties }) =>
    (properties.metrics ?? []).map((line) =>
      line
        .map((part) =>
          typeof part === 'string'
            ? part
            : Object.entries(part as Record<string, unknown>)
                .filter(([key]) => key === 'stat' || key === 'expression')
                .map(([key, value]) => `${key}=${value}`)
                .join(' '),
        )
        .join(' '),
    ),
  );
}

/** The logical ID of the one resource of a type. */
function onlyId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids, type).toHaveLength(1);
  return ids[0] as string;
}

/** Every alarm name the stack has, without the stack name. */
const ALARMS = [
  'messages-lost',
  'fallback-not-empty',
  'fallback-record-expiring',
  'api-5xx-rate',
  'api-throttled',
  'function-errors',
  'function-throttles',
  'table-throttles',
  'auth-failures',
  'seq-conflicts',
];

/** The synth warnings that say no alarm notifies anyone. */
function noTargetWarnings(stack: ReceiverStack): unknown[] {
  return Annotations.fromStack(stack).findWarning(
    '*',
    Match.stringLikeRegexp('No alarm notifies anyone'),
  );
}

/** An existing topic in the region the tests deploy to. */
const EXISTING_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-pager';

/** The alarms that e-mail an all-clear too: the states, not the events. */
const WITH_ALL_CLEAR = [
  'fallback-not-empty',
  'api-5xx-rate',
  'api-throttled',
  'function-errors',
  'function-throttles',
  'table-throttles',
];

const SLOW = 60_000;
afterAll(removeOutdirs);

describe('ReceiverMonitoring with the default settings', () => {
  let stack: ReceiverStack;
  let template: Template;
  beforeAll(() => {
    stack = synthesize().stack;
    template = Template.fromStack(stack);
  }, SLOW);

  describe('alarms', () => {
    it('has one alarm per way a message goes missing, each named after the stack', () => {
      // WHEN
      const names = Object.values(
        template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
      ).map((alarm) => alarm.Properties.AlarmName);

      // THEN
      expect(names.sort()).toEqual(ALARMS.map((name) => `OpenImCallbackReceiver-${name}`).sort());
    });

    it('tells the operator in each description what happened and what to do first', () => {
      // GIVEN
      const alarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
      );

      // THEN: CloudWatch allows 1024 characters
      for (const { Properties } of alarms) {
        const description = String(Properties.AlarmDescription);
        expect(description.length, String(Properties.AlarmName)).toBeGreaterThan(100);
        expect(description.length, String(Properties.AlarmName)).toBeLessThanOrEqual(1024);
        expect(description, String(Properties.AlarmName)).toMatch(/First:|Run:|run:/);
      }
    });

    it('goes off on any lost message, within a minute', () => {
      // WHEN
      const [, alarm] = alarmNamed(template, 'messages-lost');

      // THEN
      expect(alarmMetric(alarm)).toEqual(receiverMetric(MetricName.lost, 60));
      expect(alarm).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 1 });
      expect(alarm.AlarmDescription).toMatch(/CRITICAL[\s\S]*serverMsgID/);
    });

    it('goes off on 10 failed credential checks in 5 minutes', () => {
      // WHEN
      const [, alarm] = alarmNamed(template, 'auth-failures');

      // THEN
      expect(alarmMetric(alarm)).toEqual(receiverMetric(MetricName.authFailure, 300));
      expect(alarm).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 10 });
      expect(alarm.AlarmDescription).toMatch(
        /npm run webhook-url -- --stack OpenImCallbackReceiver[\s\S]*allowedSourceCidrs/,
      );
    });

    it('goes off on any seq conflict in 5 minutes, and says how to find both messages', () => {
      // WHEN
      const [, alarm] = alarmNamed(template, 'seq-conflicts');

      // THEN
      expect(alarmMetric(alarm)).toEqual(receiverMetric(MetricName.seqConflict, 300));
      expect(alarm).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 1 });
      expect(alarm.AlarmDescription).toMatch(
        /Seq conflict[\s\S]*records -- conflicts --from DAY --stack OpenImCallbackReceiver/,
      );
    });

    it('goes off on any function error or throttle in 5 minutes', () => {
      // GIVEN
      const functionId = onlyId(template, 'AWS::Lambda::Function');

      // THEN
      for (const [suffix, metricName] of [
        ['function-errors', 'Errors'],
        ['function-throttles', 'Throttles'],
      ] as const) {
        const [, alarm] = alarmNamed(template, suffix);
        expect(alarmMetric(alarm), suffix).toEqual({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
          Stat: 'Sum',
          Period: 300,
        });
        expect(alarm, suffix).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 1 });
      }
    });

    it("goes off when 1% of a busy 5 minutes' requests on the $default stage get a 5xx", () => {
      // GIVEN
      const apiId = onlyId(template, 'AWS::ApiGatewayV2::Api');
      const stage = [
        { Name: 'ApiId', Value: { Ref: apiId } },
        { Name: 'Stage', Value: '$default' },
      ];

      // WHEN
      const [, alarm] = alarmNamed(template, 'api-5xx-rate');
      const queries = alarm.Metrics as MetricDataQuery[];
      const byId = Object.fromEntries(queries.map((query) => [query.Id, query]));
      const [expression] = queries.filter((query) => query.ReturnData !== false);

      // THEN: 100 × 5xx ÷ Count once there are at least 10 requests, else 0
      expect(expression?.Expression).toBe(
        'IF(requests >= 10, 100 * FILL(serverErrors, 0) / requests, 0)',
      );
      for (const [id, metricName] of [
        ['requests', 'Count'],
        ['serverErrors', '5xx'],
      ] as const) {
        expect(byId[id], id).toEqual({
          Id: id,
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: stage },
            Stat: 'Sum',
            Period: 300,
          },
        });
      }
      expect(alarm).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 1 });
    });

    it("goes off on any 429 in the API's access logs, counted by a metric filter", () => {
      // GIVEN
      const accessLogsId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
        id.startsWith('CallbackApiAccessLogs'),
      );

      const apiId = onlyId(template, 'AWS::ApiGatewayV2::Api');

      // WHEN
      const [, alarm] = alarmNamed(template, 'api-throttled');

      // THEN: counted per API, so another stack's 429s in the region never count here
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: accessLogsId },
        FilterPattern: '{ $.status = "429" }',
        MetricTransformations: [
          {
            MetricNamespace: METRICS_NAMESPACE,
            MetricName: API_THROTTLED_METRIC,
            MetricValue: '1',
            Dimensions: [{ Key: API_ID_DIMENSION, Value: '$.apiId' }],
          },
        ],
      });
      expect(alarmMetric(alarm)).toEqual({
        Namespace: METRICS_NAMESPACE,
        MetricName: API_THROTTLED_METRIC,
        Dimensions: [{ Name: API_ID_DIMENSION, Value: { Ref: apiId } }],
        Stat: 'Sum',
        Period: 300,
      });
      expect(alarm).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 1 });
    });

    it("goes off when DynamoDB throttles any of the function's writes, on a table or an index", () => {
      // GIVEN
      const { messages, seqs } = tableIds(template);

      // WHEN
      const [, alarm] = alarmNamed(template, 'table-throttles');
      const queries = alarm.Metrics as MetricDataQuery[];

      // THEN: ThrottledRequests counts a request once, whichever of its table or index writes
      // was throttled; every kind of write the function sends is summed
      const throttled = (operation: string, table: string) => ({
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ThrottledRequests',
        Dimensions: [
          { Name: 'Operation', Value: operation },
          { Name: 'TableName', Value: { Ref: table } },
        ],
      });
      expect(queries.filter((q) => q.MetricStat).map((q) => q.MetricStat?.Metric)).toEqual([
        throttled('PutItem', messages),
        throttled('UpdateItem', messages),
        throttled('UpdateItem', seqs),
      ]);
      expect(queries.find((q) => q.ReturnData !== false)?.Expression).toBe(
        'FILL(putMessage, 0) + FILL(updateMessage, 0) + FILL(updateSeq, 0)',
      );
      expect(alarm).toMatchObject({ ...AT_LEAST_ONCE, Threshold: 1 });
    });

    it('warns at synth that nobody hears the alarms, and says how to fix it', () => {
      // WHEN
      const warnings = Annotations.fromStack(stack).findWarning(
        '/OpenImCallbackReceiver/Monitoring',
        Match.stringLikeRegexp(
          'No alarm notifies anyone.*lost message.*-c alarmEmail=ops@example.com.*-c alarmTopicArn=',
        ),
      );

      // THEN
      expect(warnings).toHaveLength(1);
      expect(noTargetWarnings(stack)).toHaveLength(1);
    });

    it('sends nothing anywhere without alarmEmail or alarmTopicArn: no topic, no action', () => {
      // GIVEN
      const alarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
      );

      // THEN
      expect(alarms).toHaveLength(ALARMS.length);
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      for (const alarm of alarms) {
        expect(alarm.Properties).not.toHaveProperty('AlarmActions');
        expect(alarm.Properties).not.toHaveProperty('OKActions');
      }
    });
  });

  describe('dashboard', () => {
    let widgets: Widget[];
    let lines: string[];
    beforeAll(() => {
      widgets = dashboardWidgets(template.toJSON().Resources);
      lines = metricLines(widgets);
    });

    it('is named after the stack and the region, and linked from an output', () => {
      // GIVEN
      const dashboardId = onlyId(template, 'AWS::CloudWatch::Dashboard');

      // THEN
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: { 'Fn::Join': ['', ['OpenImCallbackReceiver-', { Ref: 'AWS::Region' }]] },
      });
      template.hasOutput('DashboardUrl', {
        Value: {
          'Fn::Join': [
            '',
            [
              'https://',
              { Ref: 'AWS::Region' },
              '.console.aws.amazon.com/cloudwatch/home?region=',
              { Ref: 'AWS::Region' },
              '#dashboards/dashboard/',
              { Ref: dashboardId },
            ],
          ],
        },
      });
    });

    it("shows each of the receiver's metrics under its namespace and service", () => {
      // GIVEN
      const service = `service ${SERVICE_NAME}`;

      // THEN: counts as sums, the latency as p50 and p99
      for (const name of [
        MetricName.stored,
        MetricName.duplicate,
        MetricName.authFailure,
        MetricName.fallbackWrite,
        MetricName.lost,
      ]) {
        expect(lines).toContain(`${METRICS_NAMESPACE} ${name} ${service} stat=Sum`);
      }
      for (const stat of ['p50', 'p99']) {
        expect(lines).toContain(
          `${METRICS_NAMESPACE} ${MetricName.storageLatency} ${service} stat=${stat}`,
        );
      }
    });

    it('shows rejections by reason: a search over the reason dimension', () => {
      // WHEN
      const searches = lines.filter((line) => line.includes('SEARCH('));

      // THEN
      expect(searches).toEqual([
        `expression=SEARCH('{${METRICS_NAMESPACE},service,reason} ` +
          `MetricName="${MetricName.rejected}" service="${SERVICE_NAME}"', 'Sum', 300)`,
      ]);
    });

    it("shows the $default stage's requests, 4xx, 5xx, 5xx rate, 429s and latency", () => {
      // GIVEN
      const stage = `ApiId <Ref ${onlyId(template, 'AWS::ApiGatewayV2::Api')}> Stage $default`;

      // THEN
      for (const line of [
        `AWS/ApiGateway Count ${stage} stat=Sum`,
        `AWS/ApiGateway 4xx ${stage} stat=Sum`,
        `AWS/ApiGateway 5xx ${stage} stat=Sum`,
        `AWS/ApiGateway Latency ${stage} stat=p99`,
        `AWS/ApiGateway IntegrationLatency ${stage} stat=p99`,
        `${METRICS_NAMESPACE} ${API_THROTTLED_METRIC} ${API_ID_DIMENSION} <Ref ${onlyId(template, 'AWS::ApiGatewayV2::Api')}> stat=Sum`,
        'expression=IF(requests >= 10, 100 * FILL(serverErrors, 0) / requests, 0)',
      ]) {
        expect(lines).toContain(line);
      }
    });

    it("shows the function's invocations, errors, throttles, duration and concurrency", () => {
      // GIVEN
      const fn = `FunctionName <Ref ${onlyId(template, 'AWS::Lambda::Function')}>`;

      // THEN
      for (const line of [
        `AWS/Lambda Invocations ${fn} stat=Sum`,
        `AWS/Lambda Errors ${fn} stat=Sum`,
        `AWS/Lambda Throttles ${fn} stat=Sum`,
        `AWS/Lambda Duration ${fn} stat=p50`,
        `AWS/Lambda Duration ${fn} stat=p99`,
        `AWS/Lambda ConcurrentExecutions ${fn} stat=Maximum`,
        'AWS/Lambda ConcurrentExecutions stat=Maximum',
      ]) {
        expect(lines).toContain(line);
      }
    });

    it("shows the fallback queue's depth and oldest record", () => {
      // GIVEN
      const queue = `QueueName <GetAtt ${onlyId(template, 'AWS::SQS::Queue')}.QueueName>`;

      // THEN
      expect(lines).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible ${queue} stat=Maximum`);
      expect(lines).toContain(`AWS/SQS ApproximateAgeOfOldestMessage ${queue} stat=Maximum`);
    });

    it("shows the tables' write capacity and throttles, for each table and index", () => {
      // GIVEN
      const { messages, seqs } = tableIds(template);
      const table = `TableName <Ref ${messages}>`;

      // THEN
      expect(lines).toContain(`AWS/DynamoDB ThrottledRequests Operation PutItem ${table} stat=Sum`);
      for (const metricName of ['ConsumedWriteCapacityUnits', 'WriteThrottleEvents']) {
        expect(lines).toContain(`AWS/DynamoDB ${metricName} ${table} stat=Sum`);
        expect(lines).toContain(`AWS/DynamoDB ${metricName} TableName <Ref ${seqs}> stat=Sum`);
        for (const { indexName } of MESSAGES_TABLE.indexes) {
          expect(lines).toContain(
            `AWS/DynamoDB ${metricName} GlobalSecondaryIndexName ${indexName} ${table} stat=Sum`,
          );
        }
      }
    });

    it('shows what each callback stored, from the one list of callbacks', () => {
      for (const { webhooksKey } of CALLBACKS) {
        expect(lines).toContain(
          `${METRICS_NAMESPACE} ${MetricName.stored} callback ${webhooksKey} service ${SERVICE_NAME} stat=Sum`,
        );
      }
    });

    it("shows every alarm's state", () => {
      // GIVEN
      const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));

      // WHEN
      const statusWidgets = widgets.filter((widget) => widget.type === 'alarm');

      // THEN
      expect(statusWidgets).toHaveLength(1);
      expect(statusWidgets[0]?.properties.alarms?.sort()).toEqual(
        alarmIds.map((id) => `<GetAtt ${id}.Arn>`).sort(),
      );
    });

    it('explains what to look at, and links to the table and the function logs', () => {
      // GIVEN
      const tableId = tableIds(template).messages;
      const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
        id.startsWith('ReceiverLogGroup'),
      );

      // WHEN
      const texts = widgets.filter((widget) => widget.type === 'text');
      const markdown = texts[0]?.properties.markdown ?? '';

      // THEN
      expect(texts).toHaveLength(1);
      expect(markdown).toContain(
        '(https://<Ref AWS::Region>.console.aws.amazon.com/dynamodbv2/home?region=' +
          `<Ref AWS::Region>#item-explorer?table=<Ref ${tableId}>)`,
      );
      expect(markdown).toContain(`log-groups/log-group/<Ref ${logGroupId}>)`);
      expect(markdown).toContain('npm run replay -- --stack OpenImCallbackReceiver');
      expect(markdown).toContain('npm run records -- message SERVER_MSG_ID --stack');
      for (const name of [MetricName.lost, MetricName.fallbackWrite, MetricName.stored]) {
        expect(markdown).toContain(`**${name}**`);
      }
    });

    it("queries the function's log group for its latest ERROR and CRITICAL lines", () => {
      // GIVEN
      const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) =>
        id.startsWith('ReceiverLogGroup'),
      );

      // WHEN
      const queries = widgets.filter((widget) => widget.type === 'log');

      // THEN
      expect(queries).toHaveLength(1);
      const query = queries[0]?.properties.query ?? '';
      expect(query).toMatch(new RegExp(`^SOURCE '<Ref ${logGroupId}>' \\| fields @timestamp`));
      expect(query).toContain("filter level in ['ERROR', 'CRITICAL']");
      expect(query).toContain('serverMsgID, operationID');
    });
  });
});

describe('ReceiverMonitoring with context', () => {
  it(
    'names the alarms and the dashboard after stackName',
    () => {
      // GIVEN
      const template = templateFor({ stackName: 'OpenImCallbackReceiver-staging' });

      // WHEN
      const names = Object.values(
        template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
      ).map((alarm) => alarm.Properties.AlarmName);

      // THEN
      expect(names.sort()).toEqual(
        ALARMS.map((name) => `OpenImCallbackReceiver-staging-${name}`).sort(),
      );
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: {
          'Fn::Join': ['', ['OpenImCallbackReceiver-staging-', { Ref: 'AWS::Region' }]],
        },
      });
    },
    SLOW,
  );

  it(
    'e-mails every alarm, and the all-clear of each state, through one TLS-only topic',
    () => {
      // GIVEN
      const { stack } = synthesize({ alarmEmail: 'ops@example.com' });
      const template = Template.fromStack(stack);
      const topicId = onlyId(template, 'AWS::SNS::Topic');
      const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));

      // THEN
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        TopicArn: { Ref: topicId },
      });
      expect(alarmIds).toHaveLength(ALARMS.length);
      for (const suffix of ALARMS) {
        const [, alarm] = alarmNamed(template, suffix);
        expect(alarm.AlarmActions, suffix).toEqual([{ Ref: topicId }]);
        if (WITH_ALL_CLEAR.includes(suffix)) {
          expect(alarm.OKActions, suffix).toEqual([{ Ref: topicId }]);
        } else {
          expect(alarm, suffix).not.toHaveProperty('OKActions');
        }
      }
      expect(noTargetWarnings(stack)).toEqual([]);
    },
    SLOW,
  );

  it(
    'publishes every alarm, and the all-clear of each state, to an existing topic as it is',
    () => {
      // GIVEN
      const { stack } = synthesize({ alarmTopicArn: EXISTING_TOPIC });
      const template = Template.fromStack(stack);

      // THEN: no topic, subscription or policy of the stack's own; the topic's owner allows
      // CloudWatch to publish
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
      for (const suffix of ALARMS) {
        const [, alarm] = alarmNamed(template, suffix);
        expect(alarm.AlarmActions, suffix).toEqual([EXISTING_TOPIC]);
        if (WITH_ALL_CLEAR.includes(suffix)) {
          expect(alarm.OKActions, suffix).toEqual([EXISTING_TOPIC]);
        } else {
          expect(alarm, suffix).not.toHaveProperty('OKActions');
        }
      }
      expect(noTargetWarnings(stack)).toEqual([]);
    },
    SLOW,
  );

  it(
    'publishes to both the e-mail topic and the existing one when both are set',
    () => {
      // GIVEN
      const { stack } = synthesize({
        alarmEmail: 'ops@example.com',
        alarmTopicArn: EXISTING_TOPIC,
      });
      const template = Template.fromStack(stack);
      const topicId = onlyId(template, 'AWS::SNS::Topic');

      // THEN
      for (const suffix of ALARMS) {
        const [, alarm] = alarmNamed(template, suffix);
        expect(alarm.AlarmActions, suffix).toEqual([{ Ref: topicId }, EXISTING_TOPIC]);
      }
      expect(noTargetWarnings(stack)).toEqual([]);
    },
    SLOW,
  );

  it(
    'refuses an existing topic in another region than a stack that knows its own',
    () => {
      // GIVEN
      const app = new App({
        context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING },
        outdir: tempDir(),
      });
      const settings = { ...DEFAULT_SETTINGS, alarmTopicArn: EXISTING_TOPIC };

      // WHEN
      const build = (region: string) =>
        new ReceiverStack(app, `Receiver-${region}`, {
          env: { account: '123456789012', region },
          settings,
        });

      // THEN: CloudWatch would refuse it at deploy time
      expect(() => build('us-east-1')).toThrow(
        /is in eu-west-1, but the stack is in us-east-1.*Fix: use a topic in us-east-1/,
      );
      expect(() => build('eu-west-1')).not.toThrow();
    },
    SLOW,
  );

  it(
    'lets CloudWatch publish to the topic for exactly these alarms, and nobody over plain HTTP',
    () => {
      // GIVEN
      const template = templateFor({ alarmEmail: 'ops@example.com' });
      const topicId = onlyId(template, 'AWS::SNS::Topic');
      const alarmIds = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));

      // WHEN
      const policyId = onlyId(template, 'AWS::SNS::TopicPolicy');
      const policy = template.findResources('AWS::SNS::TopicPolicy')[policyId] as Resource;
      const { Statement } = policy.Properties.PolicyDocument as { Statement: unknown[] };
      const [deny, allow] = Statement as Record<string, unknown>[];

      // THEN
      expect(policy.Properties.Topics).toEqual([{ Ref: topicId }]);
      expect(Statement).toHaveLength(2);
      expect(deny).toEqual({
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(allow).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topicId },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      });
      const condition = allow?.Condition as { ArnEquals: { 'aws:SourceArn': unknown[] } };
      expect(condition.ArnEquals['aws:SourceArn']).toHaveLength(alarmIds.length);
      expect(condition.ArnEquals['aws:SourceArn']).toEqual(
        expect.arrayContaining(alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }))),
      );
    },
    SLOW,
  );
});
