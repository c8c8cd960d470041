/**
 * The fallback for records the table would not take: an encrypted SQS queue that keeps them for 14
 * days until `npm run replay` writes them to the table, and alarms that go off while it holds any
 * (e-mailed, with the stack's other alarms, by `ReceiverMonitoring`).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SQS_MAX_MESSAGE_BYTES } from '../lambda/message-fallback.ts';

/** The longest SQS keeps a message. Records wait here that long for `npm run replay`. */
export const FALLBACK_RETENTION = Duration.days(14);

/** The age of the oldest record at which the second alarm warns that retention is running out. */
export const FALLBACK_AGE_WARNING = Duration.days(10);

/** Properties of {@link FallbackQueue}. */
export interface FallbackQueueProps {
  /**
   * Keep the queue, and the records waiting in it, when the stack is deleted. `false` deletes both.
   * @default true
   */
  readonly retain?: boolean;
}

/** The fallback queue and its alarms. */
export class FallbackQueue extends Construct {
  /** The queue. */
  readonly queue: Queue;
  /** In alarm while the queue holds at least one record waiting for replay. */
  readonly notEmptyAlarm: Alarm;
  /** In alarm when the oldest waiting record nears the end of the queue's retention. */
  readonly oldRecordAlarm: Alarm;

  constructor(scope: Construct, id: string, props: FallbackQueueProps = {}) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    this.queue = new Queue(this, 'Queue', {
      retentionPeriod: FALLBACK_RETENTION,
      // A record is at most one DynamoDB item (400 KB); its JSON may be larger, and the fallback
      // compresses what would not fit (see lambda/message-fallback.ts).
      maxMessageSizeBytes: SQS_MAX_MESSAGE_BYTES,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // How long a received record stays hidden, for readers that do not choose their own
      // (`npm run replay` asks for 60 s per receive). A record seen twice is harmless: the table
      // write is conditional on serverMsgID, so a rerun replay never stores anything twice.
      visibilityTimeout: Duration.minutes(2),
      removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter store: it holds records whose DynamoDB write failed ' +
        'even after retries, and only `npm run replay` reads it, writing each record to the table ' +
        'before deleting it. Nothing consumes it automatically, so no receive count can exceed a ' +
        'limit and there is nothing for a further DLQ to catch; the alarms watch what waits here.',
    });

    const replay = `npm run replay -- --stack ${stackName}`;
    this.notEmptyAlarm = new Alarm(this, 'NotEmptyAlarm', {
      alarmName: `${stackName}-fallback-not-empty`,
      alarmDescription:
        'Records the DynamoDB table did not take are waiting in the fallback queue. OpenIM got ' +
        `503 for them and will not resend. Once the table works again, run: ${replay}`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // SQS stops publishing metrics for a queue idle for hours: an empty queue is no alarm.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.oldRecordAlarm = new Alarm(this, 'OldRecordAlarm', {
      alarmName: `${stackName}-fallback-record-expiring`,
      alarmDescription:
        `A record has waited ${FALLBACK_AGE_WARNING.toDays()} days in the fallback queue. SQS ` +
        `deletes it after ${FALLBACK_RETENTION.toDays()} days and it is then lost. Run: ${replay}`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: Stats.MAXIMUM,
      }),
      threshold: FALLBACK_AGE_WARNING.toSeconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
