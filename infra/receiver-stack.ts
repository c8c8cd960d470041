/**
 * The whole deployment in one stack: the messages table, the receiver function and the HTTP API,
 * plus the three outputs a user needs: the URL for OpenIM, the table's name and a console link.
 */
import { Aws, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CallbackApi } from './callback-api.ts';
import { MessagesTable } from './messages-table.ts';
import { ReceiverFunction } from './receiver-function.ts';
import { DEFAULT_SETTINGS, type DeploymentSettings } from './settings.ts';

/** Properties of {@link ReceiverStack}. */
export interface ReceiverStackProps extends StackProps {
  /**
   * The deployment's settings, as read by `readSettings`.
   * @default DEFAULT_SETTINGS
   */
  readonly settings?: DeploymentSettings;
}

/** The OpenIM callback receiver: API Gateway → Lambda → DynamoDB. */
export class ReceiverStack extends Stack {
  /** The messages table. */
  readonly messages: MessagesTable;
  /** The receiver function. */
  readonly receiver: ReceiverFunction;
  /** The HTTP API. */
  readonly callbackApi: CallbackApi;

  constructor(scope: Construct, id: string, props: ReceiverStackProps = {}) {
    const { settings = DEFAULT_SETTINGS, ...stackProps } = props;
    super(scope, id, {
      description: 'OpenIM callback receiver: stores every one-to-one chat message in DynamoDB',
      ...stackProps,
    });

    this.messages = new MessagesTable(this, 'Messages', {
      retain: settings.tableRemovalPolicy === 'retain',
      timeToLive: settings.ttlDays !== undefined,
    });
    this.receiver = new ReceiverFunction(this, 'Receiver', {
      table: this.messages.table,
      logRetentionDays: settings.logRetentionDays,
      ttlDays: settings.ttlDays,
      logLevel: settings.logLevel,
    });
    this.callbackApi = new CallbackApi(this, 'CallbackApi', {
      handler: this.receiver.function,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      logRetentionDays: settings.logRetentionDays,
    });

    Validations.of(this.callbackApi.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'No API Gateway authorizer yet. OpenIM cannot sign requests or send tokens; its only ' +
        'credential is HTTP Basic auth from the userinfo of its webhooks.yml url, which a later ' +
        'issue checks inside the Lambda function. Until then anyone who knows the URL can post ' +
        'callbacks; the stage throttle caps what that abuse can cost.',
    });

    new CfnOutput(this, 'WebhookUrl', {
      description: 'Paste into OpenIM config/webhooks.yml as `url:`',
      value: this.callbackApi.api.apiEndpoint,
    });
    new CfnOutput(this, 'TableName', {
      description: 'The DynamoDB table holding one item per message',
      value: this.messages.table.tableName,
    });
    new CfnOutput(this, 'TableConsoleUrl', {
      description: "The table's items in the DynamoDB console",
      value: `https://${Aws.REGION}.console.aws.amazon.com/dynamodbv2/home?region=${Aws.REGION}#item-explorer?table=${this.messages.table.tableName}`,
    });
  }
}
