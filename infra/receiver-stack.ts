/**
 * The whole deployment in one stack: the messages table, the webhook secret, the fallback queue
 * with its alarms, the receiver function, the HTTP API and what watches them (alarms, an optional
 * e-mail topic and a dashboard), plus the outputs a user and the tools need: the URL for OpenIM
 * and its secret's ARN, the table's name, a console link, the queue and the dashboard.
 */
import { Aws, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ArchiveTables } from './archive-tables.ts';
import { CallbackApi } from './callback-api.ts';
import { FallbackQueue } from './fallback-queue.ts';
import { ReceiverFunction } from './receiver-function.ts';
import { ReceiverMonitoring } from './receiver-monitoring.ts';
import { ReconcileFunction } from './reconcile-function.ts';
import { DEFAULT_SETTINGS, type DeploymentSettings } from './settings.ts';
import { STACK_OUTPUTS } from './stack-outputs.ts';
import { WebhookSecret } from './webhook-secret.ts';

/** Properties of {@link ReceiverStack}. */
export interface ReceiverStackProps extends StackProps {
  /**
   * The deployment's settings, as read by `readSettings`.
   * @default DEFAULT_SETTINGS
   */
  readonly settings?: DeploymentSettings;
}

/** The OpenIM callback receiver: API Gateway → Lambda → DynamoDB, with an SQS fallback. */
export class ReceiverStack extends Stack {
  /** The messages and seqs tables. */
  readonly tables: ArchiveTables;
  /** The credentials OpenIM must present. */
  readonly webhookSecret: WebhookSecret;
  /** Where records go when the table will not take them, and its alarms. */
  readonly fallback: FallbackQueue;
  /** The receiver function. */
  readonly receiver: ReceiverFunction;
  /** The HTTP API. */
  readonly callbackApi: CallbackApi;
  /** The alarms, the topic that e-mails them and the dashboard. */
  readonly monitoring: ReceiverMonitoring;
  /** The scheduled reconcile with OpenIM's API, with `openimApiUrl` set. */
  readonly reconcile: ReconcileFunction | undefined;

  constructor(scope: Construct, id: string, props: ReceiverStackProps = {}) {
    const { settings = DEFAULT_SETTINGS, ...stackProps } = props;
    super(scope, id, {
      description:
        'OpenIM callback receiver: archives every chat message, group and revoke in DynamoDB',
      ...stackProps,
    });

    this.tables = new ArchiveTables(this, 'Messages', {
      retain: settings.tableRemovalPolicy === 'retain',
      timeToLive: settings.ttlDays !== undefined,
    });
    this.webhookSecret = new WebhookSecret(this, 'WebhookSecret');
    this.fallback = new FallbackQueue(this, 'Fallback', {
      // The queue holds records too: it goes with the table, or stays with it.
      retain: settings.tableRemovalPolicy === 'retain',
    });
    this.receiver = new ReceiverFunction(this, 'Receiver', {
      messagesTable: this.tables.messages,
      seqsTable: this.tables.seqs,
      webhookSecret: this.webhookSecret.secret,
      fallbackQueue: this.fallback.queue,
      allowedSourceCidrs: settings.allowedSourceCidrs,
      logRetentionDays: settings.logRetentionDays,
      ttlDays: settings.ttlDays,
      logLevel: settings.logLevel,
      serviceName: this.stackName,
    });
    this.callbackApi = new CallbackApi(this, 'CallbackApi', {
      handler: this.receiver.function,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      logRetentionDays: settings.logRetentionDays,
    });
    this.reconcile =
      settings.openimApiUrl === undefined
        ? undefined
        : new ReconcileFunction(this, 'Reconcile', {
            messagesTable: this.tables.messages,
            seqsTable: this.tables.seqs,
            openimApiUrl: settings.openimApiUrl,
            schedule: settings.reconcileSchedule,
            openimSecretArn: settings.openimSecretArn,
            adminUser: settings.openimAdminUser,
            ttlDays: settings.ttlDays,
            logRetentionDays: settings.logRetentionDays,
            logLevel: settings.logLevel,
            serviceName: this.stackName,
          });
    this.monitoring = new ReceiverMonitoring(this, 'Monitoring', {
      function: this.receiver.function,
      functionLogGroup: this.receiver.logGroup,
      functionTimeout: this.receiver.function.timeout,
      serviceName: this.stackName,
      stage: this.callbackApi.stage,
      accessLogGroup: this.callbackApi.accessLogGroup,
      tables: { messages: this.tables.messages, seqs: this.tables.seqs },
      fallback: this.fallback,
      alarmEmail: settings.alarmEmail,
      alarmTopicArn: settings.alarmTopicArn,
      reconcileFunction: this.reconcile?.function,
    });

    Validations.of(this.callbackApi.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'No API Gateway authorizer: OpenIM cannot sign requests or send a token; its only ' +
        'credential is HTTP Basic auth from the userinfo of its webhooks.yml url. HTTP APIs have ' +
        'no built-in Basic-auth check, and a Lambda authorizer would only move the same check into ' +
        'a second function with its own cold start. The receiver function checks it first: the ' +
        'user and password from Secrets Manager (generated at deploy time), compared in constant ' +
        'time, 401 before any body parsing or DynamoDB call. The stage throttle caps the cost of ' +
        'refused requests.',
    });

    new CfnOutput(this, STACK_OUTPUTS.webhookUrl, {
      description:
        'The API base URL. OpenIM needs it with credentials: `npm run webhook-url` prints the url',
      value: this.callbackApi.api.apiEndpoint,
    });
    new CfnOutput(this, STACK_OUTPUTS.webhookSecretArn, {
      description: "ARN of the secret with OpenIM's webhook user and password (not the value)",
      value: this.webhookSecret.secret.secretArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.tableName, {
      description: 'The DynamoDB table holding one item per message',
      value: this.tables.messages.tableName,
    });
    new CfnOutput(this, STACK_OUTPUTS.seqTableName, {
      description: 'The DynamoDB table holding one item per conversation seq (gaps, revokes)',
      value: this.tables.seqs.tableName,
    });
    new CfnOutput(this, STACK_OUTPUTS.tableConsoleUrl, {
      description: "The table's items in the DynamoDB console",
      value: `https://${Aws.REGION}.console.aws.amazon.com/dynamodbv2/home?region=${Aws.REGION}#item-explorer?table=${this.tables.messages.tableName}`,
    });
    new CfnOutput(this, STACK_OUTPUTS.fallbackQueueUrl, {
      description: 'Records the table did not take wait here; `npm run replay` writes them back',
      value: this.fallback.queue.queueUrl,
    });
    if (this.reconcile) {
      new CfnOutput(this, STACK_OUTPUTS.openImSecretArn, {
        description:
          "ARN of the secret the scheduled reconcile reads OpenIM's secret from (not the value): " +
          'set it with aws secretsmanager put-secret-value',
        value: this.reconcile.secret.secretArn,
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.dashboardUrl, {
      description: 'The CloudWatch dashboard: requests, function, messages, fallback and table',
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
    });
  }
}
