/**
 * The messages table, built only from the one table definition in `lambda/table-schema.ts`, with
 * settings that protect the records: on-demand, point-in-time recovery, encryption at rest and, by
 * default, deletion protection and a retained table.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  type KeyAttribute,
  MESSAGE_INDEXES,
  MESSAGE_KEY,
  MESSAGE_TTL_ATTRIBUTE,
} from '../lambda/table-schema.ts';

/** Properties of {@link MessagesTable}. */
export interface MessagesTableProps {
  /**
   * Keep the table, with deletion protection on, when the stack is deleted. `false` deletes the
   * table and every record with the stack.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Turn on DynamoDB's TTL on `expiresAt`, so records the receiver stamps with an expiry go away.
   * @default false
   */
  readonly timeToLive?: boolean;
}

/** A key attribute in CDK's terms. */
function toCdkAttribute({ name, type }: KeyAttribute): Attribute {
  return { name, type: type === 'N' ? AttributeType.NUMBER : AttributeType.STRING };
}

/** The DynamoDB table that holds one item per OpenIM message. */
export class MessagesTable extends Construct {
  /** The table. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: MessagesTableProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;

    this.table = new Table(this, 'Table', {
      partitionKey: toCdkAttribute(MESSAGE_KEY),
      // Pay per request: OpenIM's traffic is bursty and often idle, and nothing has to be sized.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // DynamoDB always encrypts at rest; the AWS managed key makes it explicit and auditable in
      // CloudTrail, at no key cost and with no key policy to keep.
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(props.timeToLive ? { timeToLiveAttribute: MESSAGE_TTL_ATTRIBUTE } : {}),
    });
    for (const index of MESSAGE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: toCdkAttribute(index.partitionKey),
        sortKey: toCdkAttribute(index.sortKey),
        // Whole items, so a console query on an index shows full records.
        projectionType: ProjectionType.ALL,
      });
    }
  }
}
