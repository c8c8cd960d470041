/**
 * The scheduled reconcile (added with `-c openimApiUrl=…`): `lambda/reconcile-handler.ts` run by
 * an EventBridge schedule, one run at a time (reserved concurrency 1), for up to 15 minutes, with
 * OpenIM's secret in a Secrets Manager secret of its own (created empty for the operator to fill
 * in, or an existing one). Its role may read and write the archive's two tables by key and read
 * that secret, nothing more. Its alarms are on `ReceiverMonitoring`.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { type CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bundledFunction } from './bundled-function.ts';
import type { LogLevel } from './settings.ts';

/** A run's limit: Lambda's longest. A run stops a minute before it and the next one resumes. */
const RUN_TIMEOUT = Duration.minutes(15);

/** Properties of {@link ReconcileFunction}. */
export interface ReconcileFunctionProps {
  /** The messages table; the function may read and write its items by key. */
  readonly messagesTable: Pick<ITable, 'tableArn' | 'tableName'>;
  /** The seqs table; the function may read and write its items by key and query them. */
  readonly seqsTable: Pick<ITable, 'tableArn' | 'tableName'>;
  /** OpenIM's API, as the function reaches it, e.g. `https://openim.example.com:10002`. */
  readonly openimApiUrl: string;
  /**
   * When to run, as an EventBridge schedule expression.
   * @default 'rate(1 hour)'
   */
  readonly schedule?: string;
  /**
   * An existing secret holding OpenIM's secret (a plain string); the function may only read it.
   * @default undefined (a new, empty secret, to fill in with put-secret-value)
   */
  readonly openimSecretArn?: string | undefined;
  /**
   * The OpenIM admin user whose token the reconcile asks for.
   * @default 'imAdmin'
   */
  readonly adminUser?: string;
  /**
   * Days recovered records live, as the receiver's.
   * @default undefined (forever)
   */
  readonly ttlDays?: number | undefined;
  /**
   * Days the function's log group keeps its logs.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * The Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /** The service name on its log lines and metrics: the stack's, as the receiver's. */
  readonly serviceName: string;
}

/** The reconcile function, its schedule and OpenIM's secret. */
export class ReconcileFunction extends Construct {
  /** The function. */
  readonly function: NodejsFunction;
  /** The secret holding OpenIM's secret. */
  readonly secret: Pick<ISecret, 'secretArn'>;
  /** The schedule that runs it. */
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: ReconcileFunctionProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    if (props.openimSecretArn) {
      this.secret = Secret.fromSecretCompleteArn(this, 'OpenImSecret', props.openimSecretArn);
    } else {
      const secret = new Secret(this, 'OpenImSecret', {
        description:
          `${stackName}: OpenIM's secret (config/share.yml), for the scheduled reconcile. Set it ` +
          'with put-secret-value; the reconcile fails, and says so, until then',
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // Created empty: the value is OpenIM's own, which only the operator knows.
      (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "No automatic rotation: the value is OpenIM's own secret from its config/share.yml, " +
          'which no Lambda can change; a rotation would lock the reconcile out. Change both ' +
          'together: OpenIM first, then put-secret-value.',
      });
      this.secret = secret;
    }

    const logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays ?? 30,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'OpenIM reconcile: write its logs, read OpenIM secret, read and write the archive ' +
        'tables by key',
    });
    logGroup.grantWrite(role);
    // Not table.grantReadWriteData(): that adds deletes, scans and the indexes, none of which a
    // reconcile uses.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        resources: [props.messagesTable.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.seqsTable.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      ...bundledFunction('reconcile-handler.ts'),
      description: `${stackName}: reconciles the archive with OpenIM's API on a schedule`,
      memorySize: 512,
      timeout: RUN_TIMEOUT,
      // One run at a time: a run still going when the next is due keeps it waiting.
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      environment: {
        TABLE_NAME: props.messagesTable.tableName,
        SEQ_TABLE_NAME: props.seqsTable.tableName,
        OPENIM_API_URL: props.openimApiUrl,
        // The ARN only: the function reads the value at run time.
        OPENIM_SECRET_ARN: this.secret.secretArn,
        OPENIM_ADMIN_USER: props.adminUser ?? 'imAdmin',
        ...(props.ttlDays === undefined ? {} : { TTL_DAYS: String(props.ttlDays) }),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
      },
    });

    this.rule = new Rule(this, 'Schedule', {
      description: `${stackName}: runs the reconcile with OpenIM`,
      schedule: Schedule.expression(props.schedule ?? 'rate(1 hour)'),
      // A failed run is not retried at once: the next scheduled run resumes from the checkpoints.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
