/**
 * The names of the stack's outputs: the stack writes them, and the tools (`npm run webhook-url`,
 * `npm run replay`) read them from CloudFormation. No CDK import, so the tools start fast.
 */

/** Output names, by what they hold. */
export const STACK_OUTPUTS = {
  /** The API's base URL, without credentials. */
  webhookUrl: 'WebhookUrl',
  /** The ARN of the secret holding OpenIM's Basic-auth user and password (not the value). */
  webhookSecretArn: 'WebhookSecretArn',
  /** The messages table's name. */
  tableName: 'TableName',
  /** The seqs table's name. */
  seqTableName: 'SeqTableName',
  /** A link to the table's items in the DynamoDB console. */
  tableConsoleUrl: 'TableConsoleUrl',
  /** The URL of the queue holding records the table did not take. */
  fallbackQueueUrl: 'FallbackQueueUrl',
  /** The ARN of the secret holding OpenIM's own secret, for the scheduled reconcile (not the value). */
  openImSecretArn: 'OpenImSecretArn',
  /** A link to the stack's CloudWatch dashboard. */
  dashboardUrl: 'DashboardUrl',
} as const;
