/**
 * What an operator watches: one alarm per way a message can go missing or the receiver can fail,
 * each published to an SNS topic that e-mails `alarmEmail` and to the existing topic of
 * `alarmTopicArn` (a warning at synth when neither is set), and one CloudWatch dashboard that
 * shows the flow from API Gateway through the function to the table and the fallback queue.
 *
 * Hand-written on aws-cdk-lib's CloudWatch constructs, not cdk-monitoring-constructs: see
 * docs/design-decisions.md.
 */
import { Annotations, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { CALLBACKS } from '../lambda/callbacks.ts';
import {
  CALLBACK_DIMENSION,
  METRICS_NAMESPACE,
  MetricName,
  REASON_DIMENSION,
} from '../lambda/receiver-metrics.ts';
import { MESSAGES_TABLE, SEQS_TABLE, type TableDefinition } from '../lambda/table-schema.ts';

/** The dimension Powertools Metrics adds to every metric: the function's service name. */
export const SERVICE_DIMENSION = 'service';

/**
 * Requests API Gateway's stage turned away with 429 before the function ran, counted from the
 * access logs (the receiver itself never answers 429). OpenIM does not retry: each one is lost.
 */
export const API_THROTTLED_METRIC = 'RequestsThrottledByApi';

/** The dimension of {@link API_THROTTLED_METRIC}: the API's ID, from its access log. */
export const API_ID_DIMENSION = 'ApiId';

/** Fewest requests in 5 minutes for the 5xx rate to count, so one failure at night is no "rate". */
export const SERVER_ERROR_RATE_MIN_REQUESTS = 10;

/** The share of requests, in percent, answered with a 5xx that puts the rate alarm off. */
export const SERVER_ERROR_RATE_PERCENT = 1;

/** Failed credential checks in 5 minutes that put the auth-failures alarm off. */
export const AUTH_FAILURE_THRESHOLD = 10;

/** Logs Insights: the function's latest ERROR and CRITICAL lines, and Lambda's own failures. */
export const ERROR_QUERY_LINES = [
  'fields @timestamp, level, message, serverMsgID, operationID, statusCode, errMsg, errorName',
  "filter level in ['ERROR', 'CRITICAL'] or @message like /Task timed out|Runtime\\./",
  'sort @timestamp desc',
  'limit 50',
];

/** The period of every graph, and of the alarms that do not need a quicker one. */
const PERIOD = Duration.minutes(5);

/** What the monitoring needs of a table. */
export type MonitoredTable = Pick<
  Table,
  'tableName' | 'metric' | 'metricThrottledRequestsForOperation'
>;

/** Properties of {@link ReceiverMonitoring}. */
export interface ReceiverMonitoringProps {
  /** The receiver function: its errors, throttles, duration and concurrency. */
  readonly function: IFunction;
  /** The function's log group, queried on the dashboard and linked from it. */
  readonly functionLogGroup: ILogGroup;
  /**
   * The function's timeout, drawn on the duration graph.
   * @default undefined (no line on the graph)
   */
  readonly functionTimeout?: Duration | undefined;
  /** The value of the `service` dimension the function's Powertools Metrics emit under. */
  readonly serviceName: string;
  /** The HTTP API's stage that OpenIM posts to: requests, 4xx, 5xx and latency. */
  readonly stage: IHttpStage;
  /** The stage's access log group, from which requests throttled by the stage are counted. */
  readonly accessLogGroup: ILogGroup;
  /** The two tables of `lambda/table-schema.ts`. */
  readonly tables: { readonly messages: MonitoredTable; readonly seqs: MonitoredTable };
  /**
   * The fallback queue's two alarms: they join the others on the topic, and their metrics (the
   * queue's depth and oldest record) are graphed on the dashboard.
   */
  readonly fallback: {
    readonly notEmptyAlarm: Alarm;
    readonly oldRecordAlarm: Alarm;
  };
  /**
   * E-mail address that gets every alarm, through a new SNS topic. The address must confirm the
   * subscription from the e-mail AWS sends before anything is delivered.
   * @default undefined (no topic of the stack's own)
   */
  readonly alarmEmail?: string | undefined;
  /**
   * ARN of an existing SNS topic that gets every alarm too (with or without `alarmEmail`), e.g. one
   * that pages or posts to chat. It must be a standard topic in the stack's region (CloudWatch
   * publishes to no other), and its policy is not the stack's to change: it must let CloudWatch
   * (`cloudwatch.amazonaws.com`) publish. SNS's default policy does for a topic in the same account;
   * a topic encrypted with a KMS key needs a customer managed key whose policy lets CloudWatch use
   * it (`kms:Decrypt`, `kms:GenerateDataKey*`), as the AWS managed `alias/aws/sns` cannot.
   * @default undefined (no existing topic)
   */
  readonly alarmTopicArn?: string | undefined;
}

/** The id of the warning that no alarm notifies anyone. */
export const NO_ALARM_TARGET_WARNING = 'openim-receiver:noAlarmTarget';

/** One alarm of the receiver, before it is created. */
interface AlarmSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly metric: IMetric;
  readonly threshold: number;
}

/** The receiver's alarms, the topic that e-mails them and the dashboard. */
export class ReceiverMonitoring extends Construct {
  /** The function failed without answering: crash, timeout or out of memory. */
  readonly functionErrorsAlarm: Alarm;
  /** Lambda refused to run the function: a concurrency limit was reached. */
  readonly functionThrottlesAlarm: Alarm;
  /** At least 1% of a busy 5 minutes' requests got a 5xx. */
  readonly serverErrorRateAlarm: Alarm;
  /** The stage's throttle turned requests away (429) before the function ran. */
  readonly apiThrottledAlarm: Alarm;
  /** DynamoDB throttled the function's writes, on the table or through an index. */
  readonly tableThrottlesAlarm: Alarm;
  /** A message was neither stored nor kept in the fallback queue. */
  readonly messagesLostAlarm: Alarm;
  /** Many requests came without the right credentials. */
  readonly authFailuresAlarm: Alarm;
  /** A message claimed a seq that another message already held. */
  readonly seqConflictsAlarm: Alarm;
  /** Every alarm of the stack, this construct's and the fallback queue's. */
  readonly alarms: readonly Alarm[];
  /** The topic that e-mails the alarms, when an address was given. */
  readonly alarmTopic: Topic | undefined;
  /** Every topic the alarms publish to: the e-mail topic and the existing one, as given. */
  readonly alarmTargets: readonly ITopic[];
  /** The dashboard, named `<stack>-<region>`. */
  readonly dashboard: Dashboard;

  private readonly stackName: string;
  private readonly serviceName: string;

  constructor(scope: Construct, id: string, props: ReceiverMonitoringProps) {
    super(scope, id);
    this.stackName = Stack.of(this).stackName;
    this.serviceName = props.serviceName;
    const { stage, tables, fallback } = props;
    const fn = props.function;
    const replay = `npm run replay -- --stack ${this.stackName}`;

    // Counted per API, so that two stacks in one region never count each other's 429s.
    new MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: props.accessLogGroup,
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: API_THROTTLED_METRIC,
      metricValue: '1',
      dimensions: { [API_ID_DIMENSION]: '$.apiId' },
    });
    const throttledByApi = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: API_THROTTLED_METRIC,
      dimensionsMap: { [API_ID_DIMENSION]: stage.api.apiId },
      statistic: Stats.SUM,
      period: PERIOD,
      label: '429 (stage throttle)',
    });

    this.functionErrorsAlarm = this.alarm({
      id: 'FunctionErrorsAlarm',
      name: 'function-errors',
      description:
        'The function failed without answering (an uncaught error at start-up, its timeout or ' +
        'out of memory), so OpenIM got an error from API Gateway instead of an answer and the ' +
        "message may not be stored. First: Logs Insights on the function's log group for ERROR " +
        "lines, 'Task timed out' and 'Runtime.' errors; a failing cold start (a missing setting) " +
        'fails every request.',
      metric: fn.metricErrors({ statistic: Stats.SUM, period: PERIOD }),
      threshold: 1,
    });
    this.functionThrottlesAlarm = this.alarm({
      id: 'FunctionThrottlesAlarm',
      name: 'function-throttles',
      description:
        'Lambda refused to run the function because a concurrency limit was reached; those ' +
        'requests got an error and were not stored. First: compare ConcurrentExecutions on the ' +
        "dashboard with the account's quota (Service Quotas > Lambda > Concurrent executions, " +
        'small on new accounts) and with any reserved concurrency.',
      metric: fn.metricThrottles({ statistic: Stats.SUM, period: PERIOD }),
      threshold: 1,
    });
    this.serverErrorRateAlarm = this.alarm({
      id: 'ServerErrorRateAlarm',
      name: 'api-5xx-rate',
      description:
        `At least ${SERVER_ERROR_RATE_PERCENT}% of 5 minutes' requests (and at least ` +
        `${SERVER_ERROR_RATE_MIN_REQUESTS}) got a 5xx: storage failed (503) or the function did. ` +
        'First: on the dashboard, Rejections by reason (receiver-failure), FallbackWrites and ' +
        "function errors; the API's access logs give status and integrationError per request. " +
        `Records in the fallback queue need: ${replay}`,
      metric: this.serverErrorRate(stage),
      threshold: SERVER_ERROR_RATE_PERCENT,
    });
    this.apiThrottledAlarm = this.alarm({
      id: 'ApiThrottledAlarm',
      name: 'api-throttled',
      description:
        "API Gateway's stage answered 429 before the function ran: OpenIM sent more than " +
        'throttlingRateLimit/throttlingBurstLimit allow, and does not retry, so those messages ' +
        "are lost. First: the Requests graph on the dashboard and the API's access logs " +
        '(status 429, sourceIp); raise the limits with -c throttlingRateLimit=… and redeploy.',
      metric: throttledByApi,
      threshold: 1,
    });
    const throttledWrites = this.throttledWrites(tables);
    this.tableThrottlesAlarm = this.alarm({
      id: 'TableThrottlesAlarm',
      name: 'table-throttles',
      description:
        "DynamoDB throttled the function's writes, on a table or through one of its indexes. " +
        'The function retries for 1.5 s and keeps what still fails in the fallback queue. First: the ' +
        "dashboard's DynamoDB graphs (which index throttles, a traffic jump above twice the " +
        "previous peak), then the fallback queue's depth and FallbackWrites.",
      metric: throttledWrites,
      threshold: 1,
    });
    this.messagesLostAlarm = this.alarm({
      id: 'MessagesLostAlarm',
      name: 'messages-lost',
      description:
        'A message was neither stored nor kept in the fallback queue: OpenIM got 503 and will ' +
        'not resend it, so it is in neither. Worst case; act now. First: the CRITICAL ' +
        "'Message lost' lines in the function's logs (serverMsgID, operationID), then why both " +
        'DynamoDB and SQS failed (table throttles, permissions, AWS Health).',
      metric: this.receiverMetric(MetricName.lost, Stats.SUM, Duration.minutes(1)),
      threshold: 1,
    });
    this.authFailuresAlarm = this.alarm({
      id: 'AuthFailuresAlarm',
      name: 'auth-failures',
      description:
        `At least ${AUTH_FAILURE_THRESHOLD} requests in 5 minutes had missing or wrong Basic ` +
        "credentials (401). First: if MessagesStored dropped too, the url in OpenIM's " +
        'webhooks.yml has the wrong password (its messages are refused and lost): compare it with ' +
        `npm run webhook-url -- --stack ${this.stackName}. Otherwise someone is trying the URL: ` +
        "sourceIp in the API's access logs; consider allowedSourceCidrs.",
      metric: this.receiverMetric(MetricName.authFailure, Stats.SUM),
      threshold: AUTH_FAILURE_THRESHOLD,
    });
    this.seqConflictsAlarm = this.alarm({
      id: 'SeqConflictsAlarm',
      name: 'seq-conflicts',
      description:
        'A save-DB callback brought a message for a seq that another message already holds: ' +
        'OpenIM was restored or reinstalled (its seqs start again), or two OpenIM servers post ' +
        'to this receiver. Both messages are kept; the seq stays with the first. First: the ' +
        "WARN 'Seq conflict' lines (both serverMsgIDs), then npm run -s records -- conflicts " +
        `--from DAY --stack ${this.stackName}; docs/operations.md, Seq conflicts.`,
      metric: this.receiverMetric(MetricName.seqConflict, Stats.SUM),
      threshold: 1,
    });

    this.alarms = [
      this.messagesLostAlarm,
      fallback.notEmptyAlarm,
      fallback.oldRecordAlarm,
      this.serverErrorRateAlarm,
      this.apiThrottledAlarm,
      this.functionErrorsAlarm,
      this.functionThrottlesAlarm,
      this.tableThrottlesAlarm,
      this.authFailuresAlarm,
      this.seqConflictsAlarm,
    ];
    // A lost message, a burst of 401s or an expiring record needs acting on whatever follows; the
    // others are states, and their end is worth an e-mail too.
    const allClear = this.alarms.filter(
      (alarm) =>
        alarm !== this.messagesLostAlarm &&
        alarm !== this.authFailuresAlarm &&
        alarm !== this.seqConflictsAlarm &&
        alarm !== fallback.oldRecordAlarm,
    );
    this.alarmTopic =
      props.alarmEmail === undefined ? undefined : this.emailTopic(props.alarmEmail);
    this.alarmTargets = [
      ...(this.alarmTopic === undefined ? [] : [this.alarmTopic]),
      ...(props.alarmTopicArn === undefined ? [] : [this.existingTopic(props.alarmTopicArn)]),
    ];
    for (const topic of this.alarmTargets) {
      const action = new SnsAction(topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        if (allClear.includes(alarm)) alarm.addOkAction(action);
      }
    }
    if (this.alarmTargets.length === 0) {
      Annotations.of(this).addWarningV2(
        NO_ALARM_TARGET_WARNING,
        'No alarm notifies anyone: a lost message (OpenIM never resends) shows only in the ' +
          'CloudWatch console. Fix: -c alarmEmail=ops@example.com, or ' +
          '-c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic> for an existing topic',
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account, unlike alarm names: the region in the name lets
      // the same stack deploy to a second region.
      dashboardName: `${this.stackName}-${Stack.of(this).region}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new TextWidget({ markdown: this.guide(props), width: 10, height: 8 }),
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...this.alarms],
            width: 14,
            height: 8,
          }),
        ],
        [
          this.graph('API: requests and errors', [
            stage.metricCount({ statistic: Stats.SUM, period: PERIOD, label: 'requests' }),
            stage.metricClientError({ period: PERIOD, label: '4xx' }),
            stage.metricServerError({ period: PERIOD, label: '5xx' }),
            throttledByApi,
          ]),
          new GraphWidget({
            title: 'API: 5xx rate (%)',
            left: [this.serverErrorRateAlarm.metric],
            leftAnnotations: [this.serverErrorRateAlarm.toAnnotation()],
            leftYAxis: { min: 0, showUnits: false },
            width: 8,
          }),
          this.graph('API: latency (ms)', [
            stage.metricLatency({ statistic: Stats.p(50), period: PERIOD, label: 'p50' }),
            stage.metricLatency({ statistic: Stats.p(99), period: PERIOD, label: 'p99' }),
            stage.metricIntegrationLatency({
              statistic: Stats.p(99),
              period: PERIOD,
              label: 'integration p99',
            }),
          ]),
        ],
        [
          this.graph('Function: invocations, errors, throttles', [
            fn.metricInvocations({ statistic: Stats.SUM, period: PERIOD, label: 'invocations' }),
            fn.metricErrors({ statistic: Stats.SUM, period: PERIOD, label: 'errors' }),
            fn.metricThrottles({ statistic: Stats.SUM, period: PERIOD, label: 'throttles' }),
          ]),
          new GraphWidget({
            title: 'Function: duration (ms)',
            left: [
              fn.metricDuration({ statistic: Stats.p(50), period: PERIOD, label: 'p50' }),
              fn.metricDuration({ statistic: Stats.p(99), period: PERIOD, label: 'p99' }),
            ],
            leftAnnotations:
              props.functionTimeout === undefined
                ? []
                : [{ value: props.functionTimeout.toMilliseconds(), label: 'timeout' }],
            leftYAxis: { min: 0, showUnits: false },
            width: 8,
          }),
          this.graph('Function: concurrent executions (max)', [
            fn.metric('ConcurrentExecutions', {
              statistic: Stats.MAXIMUM,
              period: PERIOD,
              label: 'this function',
            }),
            // Throttling starts at the account's quota, which every function in the region shares.
            new Metric({
              namespace: 'AWS/Lambda',
              metricName: 'ConcurrentExecutions',
              statistic: Stats.MAXIMUM,
              period: PERIOD,
              label: 'all functions in the region',
            }),
          ]),
        ],
        [
          this.graph(
            'Receiver: stored, by callback',
            [
              this.receiverMetric(MetricName.stored, Stats.SUM),
              ...CALLBACKS.map(({ webhooksKey }) =>
                this.receiverMetric(MetricName.stored, Stats.SUM, PERIOD, webhooksKey),
              ),
              this.receiverMetric(MetricName.duplicate, Stats.SUM),
            ],
            6,
          ),
          this.graph(
            'Receiver: trouble',
            [
              this.receiverMetric(MetricName.lost, Stats.SUM),
              this.receiverMetric(MetricName.fallbackWrite, Stats.SUM),
              this.receiverMetric(MetricName.authFailure, Stats.SUM),
              this.receiverMetric(MetricName.seqConflict, Stats.SUM),
            ],
            6,
          ),
          this.graph('Receiver: rejections by reason', [this.rejectionsByReason()], 6),
          this.graph(
            'Receiver: storage latency (ms)',
            [
              this.receiverMetric(MetricName.storageLatency, Stats.p(50)),
              this.receiverMetric(MetricName.storageLatency, Stats.p(99)),
            ],
            6,
          ),
        ],
        [
          new GraphWidget({
            title: 'Fallback queue: records waiting',
            left: [fallback.notEmptyAlarm.metric],
            leftAnnotations: [fallback.notEmptyAlarm.toAnnotation()],
            leftYAxis: { min: 0, showUnits: false },
            width: 6,
          }),
          new GraphWidget({
            title: 'Fallback queue: oldest record (s)',
            left: [fallback.oldRecordAlarm.metric],
            leftAnnotations: [fallback.oldRecordAlarm.toAnnotation()],
            leftYAxis: { min: 0, showUnits: false },
            width: 6,
          }),
          this.graph(
            'Tables: consumed write capacity',
            this.tableMetrics(tables, 'ConsumedWriteCapacityUnits'),
            6,
          ),
          this.graph(
            'Tables: throttles',
            [throttledWrites, ...this.tableMetrics(tables, 'WriteThrottleEvents')],
            6,
          ),
        ],
        [
          new LogQueryWidget({
            title: 'Function: latest errors and lost messages',
            logGroupNames: [props.functionLogGroup.logGroupName],
            queryLines: ERROR_QUERY_LINES,
            view: LogQueryVisualizationType.TABLE,
            width: 24,
            height: 6,
          }),
        ],
      ],
    });
  }

  /** An alarm named `<stack>-<name>` that treats no data as fine (an idle receiver is healthy). */
  private alarm(spec: AlarmSpec): Alarm {
    return new Alarm(this, spec.id, {
      alarmName: `${this.stackName}-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * One of the receiver's own metrics, with the `service` dimension Powertools gives it: the total,
   * or one callback's share.
   */
  private receiverMetric(
    name: string,
    statistic: string,
    period = PERIOD,
    callback?: string,
  ): Metric {
    const label = statistic === Stats.SUM ? name : `${name} ${statistic}`;
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: {
        [SERVICE_DIMENSION]: this.serviceName,
        ...(callback === undefined ? {} : { [CALLBACK_DIMENSION]: callback }),
      },
      statistic,
      period,
      label: callback === undefined ? label : callback,
    });
  }

  /** Throttled write requests to either table, each index's included: what the function sends. */
  private throttledWrites(tables: ReceiverMonitoringProps['tables']): MathExpression {
    const throttled = (table: MonitoredTable, operation: Operation) =>
      table.metricThrottledRequestsForOperation(operation, {
        statistic: Stats.SUM,
        period: PERIOD,
      });
    return new MathExpression({
      expression: 'FILL(putMessage, 0) + FILL(updateMessage, 0) + FILL(updateSeq, 0)',
      usingMetrics: {
        putMessage: throttled(tables.messages, Operation.PUT_ITEM),
        updateMessage: throttled(tables.messages, Operation.UPDATE_ITEM),
        updateSeq: throttled(tables.seqs, Operation.UPDATE_ITEM),
      },
      label: 'throttled write requests',
      period: PERIOD,
    });
  }

  /**
   * Rejections, one line per reason. Each reason is its own dimension value, so a SEARCH finds
   * the ones that occurred instead of listing reasons here that the function may change.
   */
  private rejectionsByReason(): MathExpression {
    const schema = `{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${REASON_DIMENSION}}`;
    const filter = `MetricName="${MetricName.rejected}" ${SERVICE_DIMENSION}="${this.serviceName}"`;
    return new MathExpression({
      expression: `SEARCH('${schema} ${filter}', '${Stats.SUM}', ${PERIOD.toSeconds()})`,
      usingMetrics: {},
      label: `\${PROP('Dim.${REASON_DIMENSION}')}`,
      period: PERIOD,
    });
  }

  /**
   * The share of requests answered with a 5xx, in percent. Below the floor of requests it is 0,
   * and with no requests at all there is no data (and so no alarm).
   */
  private serverErrorRate(stage: IHttpStage): MathExpression {
    return new MathExpression({
      expression:
        `IF(requests >= ${SERVER_ERROR_RATE_MIN_REQUESTS}, ` +
        '100 * FILL(serverErrors, 0) / requests, 0)',
      usingMetrics: {
        requests: stage.metricCount({ statistic: Stats.SUM }),
        serverErrors: stage.metricServerError({ statistic: Stats.SUM }),
      },
      label: '5xx (% of requests)',
      period: PERIOD,
    });
  }

  /** A table metric for each table and each of its indexes. */
  private tableMetrics(tables: ReceiverMonitoringProps['tables'], metricName: string): Metric[] {
    const of = (table: MonitoredTable, definition: TableDefinition, label: string) => [
      table.metric(metricName, { statistic: Stats.SUM, period: PERIOD, label }),
      ...definition.indexes.map(({ indexName }) =>
        table.metric(metricName, {
          dimensionsMap: { TableName: table.tableName, GlobalSecondaryIndexName: indexName },
          statistic: Stats.SUM,
          period: PERIOD,
          label: indexName,
        }),
      ),
    ];
    return [
      ...of(tables.messages, MESSAGES_TABLE, 'messages'),
      ...of(tables.seqs, SEQS_TABLE, 'seqs'),
    ];
  }

  /** A line graph, a third of the dashboard wide unless told otherwise. */
  private graph(title: string, left: IMetric[], width = 8): GraphWidget {
    return new GraphWidget({ title, left, leftYAxis: { min: 0, showUnits: false }, width });
  }

  /** The text at the top of the dashboard: what to look at first, and where to go next. */
  private guide(props: ReceiverMonitoringProps): string {
    const consoleUrl = `https://${Aws.REGION}.console.aws.amazon.com`;
    const tableUrl = `${consoleUrl}/dynamodbv2/home?region=${Aws.REGION}#item-explorer?table=${props.tables.messages.tableName}`;
    const logsUrl = `${consoleUrl}/cloudwatch/home?region=${Aws.REGION}#logsV2:log-groups/log-group/${props.functionLogGroup.logGroupName}`;
    return [
      `# OpenIM callback receiver: ${this.stackName}`,
      'OpenIM posts each message once and never resends it. Every request should end as ' +
        `**${MetricName.stored}** (or **${MetricName.duplicate}** for a repeat). In this order:`,
      `1. **${MetricName.lost}** must stay at 0: each one is a message that is nowhere.`,
      `2. **${MetricName.fallbackWrite}** and *records waiting*: the table failed; once it works, ` +
        `run \`npm run replay -- --stack ${this.stackName}\`.`,
      '3. **5xx**, **429** and function **errors/throttles**: requests OpenIM will not resend.',
      `4. **Rejections by reason**: \`unauthorized\` means OpenIM's url has the wrong password ` +
        '(`npm run webhook-url`); `invalid` may be a new OpenIM version.',
      '',
      `[Table items](${tableUrl}) · [Function logs](${logsUrl}) · ` +
        `find one message: \`npm run records -- message SERVER_MSG_ID --stack ${this.stackName}\``,
    ].join('\n');
  }

  /** A TLS-only topic that e-mails what these alarms publish, and that only they may publish to. */
  private emailTopic(address: string): Topic {
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: `${this.stackName} alarms`,
      // Denies publishing over plain HTTP (AwsSolutions-SNS3).
      enforceSSL: true,
    });
    topic.addSubscription(new EmailSubscription(address));
    // The topic's own policy replaces SNS's default one, so CloudWatch is let in explicitly, and
    // only for these alarms.
    topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': this.alarms.map((alarm) => alarm.alarmArn) },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );
    return topic;
  }

  /**
   * The topic of `alarmTopicArn`. Its policy stays as its owner wrote it (an imported topic's
   * cannot be changed from here), so only the region is checked, when the stack knows its own.
   */
  private existingTopic(arn: string): ITopic {
    const stackRegion = Stack.of(this).region;
    const topicRegion = arn.split(':')[3];
    if (
      !Token.isUnresolved(arn) &&
      !Token.isUnresolved(stackRegion) &&
      topicRegion !== stackRegion
    ) {
      throw new Error(
        `alarmTopicArn ${arn} is in ${topicRegion}, but the stack is in ${stackRegion}, and ` +
          `CloudWatch alarms publish only to topics in their own region. Fix: use a topic in ` +
          `${stackRegion}`,
      );
    }
    return Topic.fromTopicArn(this, 'ExistingAlarmTopic', arn);
  }
}
