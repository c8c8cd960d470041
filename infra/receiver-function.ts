/**
 * The receiver's Lambda function: `lambda/handler.ts` bundled by esbuild into one ESM file with the
 * AWS SDK inside, its own log group, and a role that may write its logs, read the webhook secret,
 * put and update items in the two tables and send records to the fallback queue, nothing more.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_CHAIN_MODULES } from '../lambda/environment-credentials.ts';
import { SQS_FALLBACK_FILE } from '../lambda/message-fallback.ts';
import { SERVICE_NAME } from '../lambda/receiver-metrics.ts';
import { bundledFunction } from './bundled-function.ts';
import { DEPLOYED_LIMITS } from './function-limits.ts';
import type { LogLevel } from './settings.ts';

/** Properties of {@link ReceiverFunction}. */
export interface ReceiverFunctionProps {
  /** The messages table; the function may only put and update items in it. */
  readonly messagesTable: Pick<ITable, 'tableArn' | 'tableName'>;
  /** The seqs table; the function may only update items in it. */
  readonly seqsTable: Pick<ITable, 'tableArn' | 'tableName'>;
  /**
   * The secret with the Basic-auth credentials OpenIM must present, passed as
   * `WEBHOOK_SECRET_ARN`; the function may only read its value.
   */
  readonly webhookSecret: Pick<ISecret, 'secretArn'>;
  /**
   * The queue that keeps records the table did not take, passed as `FALLBACK_QUEUE_URL`; the
   * function may only send to it.
   */
  readonly fallbackQueue: Pick<IQueue, 'queueArn' | 'queueUrl'>;
  /**
   * Source CIDRs allowed to post, passed comma-separated as `ALLOWED_SOURCE_CIDRS`; others get 403.
   * @default undefined (any source may present credentials, and `ALLOWED_SOURCE_CIDRS` is not set)
   */
  readonly allowedSourceCidrs?: readonly string[] | undefined;
  /**
   * Days the function's log group keeps its logs.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Days each record lives before DynamoDB's TTL deletes it, passed as `TTL_DAYS`. Only set this
   * when the table has TTL on.
   * @default undefined (records are kept forever and `TTL_DAYS` is not set)
   */
  readonly ttlDays?: number | undefined;
  /**
   * The Powertools log level, passed as `POWERTOOLS_LOG_LEVEL`.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * The service name on every log line and the `service` dimension of every metric, passed as
   * `POWERTOOLS_SERVICE_NAME`. Give each deployment in a region its own, so that one stack's
   * alarms never count another's messages.
   * @default SERVICE_NAME ('openim-callback-receiver')
   */
  readonly serviceName?: string;
}

/** The Lambda function that turns each OpenIM callback into a record. */
export class ReceiverFunction extends Construct {
  /** The function. */
  readonly function: NodejsFunction;
  /** The function's log group. */
  readonly logGroup: LogGroup;
  /** The function's execution role. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ReceiverFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays ?? 30,
      // Logs are operational and expire anyway; the records live in the table.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An own role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log
    // group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'OpenIM callback receiver: write its logs, read its webhook secret, write its two ' +
        'tables, send records to its fallback queue',
    });
    this.logGroup.grantWrite(this.role);
    // Not table.grantWriteData(): that also allows DeleteItem and BatchWriteItem, and adds the
    // indexes. The receiver puts new messages, and updates them and their seqs.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.messagesTable.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.seqsTable.tableArn],
      }),
    );
    // Not secret.grantRead(): that adds DescribeSecret, which the function never calls. The
    // secret uses Secrets Manager's AWS managed key, so no KMS permission is needed either.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.webhookSecret.secretArn],
      }),
    );
    // Not queue.grantSendMessages(): that adds GetQueueAttributes and GetQueueUrl. The queue is
    // SQS-encrypted (no KMS key), so sending needs nothing else.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [props.fallbackQueue.queueArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      // The SQS client serves only the fallback: a side bundle, so cold starts never parse it.
      // Its clients sign with the credentials Lambda puts in the environment: the SDK's other
      // sources of credentials stay out of the bundle (lambda/environment-credentials.ts).
      ...bundledFunction('handler.ts', {
        sideBundles: [SQS_FALLBACK_FILE],
        external: DEFAULT_CHAIN_MODULES,
      }),
      // Why these two: infra/function-limits.ts.
      memorySize: DEPLOYED_LIMITS.memoryMB,
      timeout: Duration.seconds(DEPLOYED_LIMITS.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        TABLE_NAME: props.messagesTable.tableName,
        SEQ_TABLE_NAME: props.seqsTable.tableName,
        // The ARN only: the function reads the value at run time, so it is in no template or log.
        WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn,
        FALLBACK_QUEUE_URL: props.fallbackQueue.queueUrl,
        ...(props.allowedSourceCidrs === undefined
          ? {}
          : { ALLOWED_SOURCE_CIDRS: props.allowedSourceCidrs.join(',') }),
        ...(props.ttlDays === undefined ? {} : { TTL_DAYS: String(props.ttlDays) }),
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        // No NODE_OPTIONS=--enable-source-maps: reading and indexing the map would cost CPU at
        // every cold start (BENCHMARKS.md has the figure), and the logs carry no stack traces.
      },
    });
  }
}
