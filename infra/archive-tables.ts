/**
 * The archive's two tables, built only from the one table definition in `lambda/table-schema.ts`,
 * with settings that protect the records: on-demand, point-in-time recovery, encryption at rest
 * and, by default, deletion protection and retained tables.
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
  MESSAGE_TTL_ATTRIBUTE,
  MESSAGES_TABLE,
  SEQS_TABLE,
  type TableDefinition,
} from '../lambda/table-schema.ts';

/** Properties of {@link ArchiveTables}. */
export interface ArchiveTablesProps {
  /**
   * Keep the tables, with deletion protection on, when the stack is deleted. `false` deletes the
   * tables and every record with the stack.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Turn on DynamoDB's TTL on `expiresAt` in both tables, so the records the receiver stamps with
   * an expiry go away.
   * @default false
   */
  readonly timeToLive?: boolean;
}

/** A key attribute in CDK's terms. */
function toCdkAttribute({ name, type }: KeyAttribute): Attribute {
  return { name, type: type === 'N' ? AttributeType.NUMBER : AttributeType.STRING };
}

/** The messages table (one item per message) and the seqs table (one per conversation seq). */
export class ArchiveTables extends Construct {
  /** One item per OpenIM message. */
  readonly messages: Table;
  /** One item per `(conversationID, seq)` heard of: its message, or a revoke waiting for it. */
  readonly seqs: Table;

  constructor(scope: Construct, id: string, props: ArchiveTablesProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    // `Table` keeps the messages table's logical ID from before the seqs table existed.
    this.messages = this.table('Table', MESSAGES_TABLE, retain, props.timeToLive);
    this.seqs = this.table('Seqs', SEQS_TABLE, retain, props.timeToLive);
  }

  /** One table of `definition`. */
  private table(
    id: string,
    definition: TableDefinition,
    retain: boolean,
    timeToLive: boolean | undefined,
  ): Table {
    const table = new Table(this, id, {
      partitionKey: toCdkAttribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: toCdkAttribute(definition.sortKey) } : {}),
      // Pay per request: OpenIM's traffic is bursty and often idle, and nothing has to be sized.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS managed key makes encryption at rest explicit and auditable in CloudTrail, at no
      // key cost and with no key policy to keep.
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(timeToLive ? { timeToLiveAttribute: MESSAGE_TTL_ATTRIBUTE } : {}),
    });
    for (const index of definition.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: toCdkAttribute(index.partitionKey),
        sortKey: toCdkAttribute(index.sortKey),
        ...(index.projection.type === 'INCLUDE'
          ? {
              projectionType: ProjectionType.INCLUDE,
              nonKeyAttributes: [...index.projection.attributes],
            }
          : { projectionType: ProjectionType.KEYS_ONLY }),
      });
    }
    return table;
  }
}
