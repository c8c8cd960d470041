/**
 * The storage adapter: one conditional `PutItem` per message, idempotent on `serverMsgID`. It takes
 * its DynamoDB client as a parameter, so tests point it at the local engine without mocking;
 * `sdk-deadline.ts` gives that client a time limit per put, retries included.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { MessageRecord } from './message-record.ts';
import { MESSAGE_KEY } from './table-schema.ts';

/** The condition that makes a put idempotent: only the first write of a `serverMsgID` lands. */
export const FIRST_WRITE_ONLY = {
  ConditionExpression: 'attribute_not_exists(#id)',
  ExpressionAttributeNames: { '#id': MESSAGE_KEY.name },
} as const;

/** What happened to a message handed to the store. */
export type PutOutcome = 'stored' | 'duplicate';

/** Where messages go. */
export interface MessageStore {
  /** Stores the record unless a record with its `serverMsgID` exists; never rewrites one. */
  put(record: MessageRecord): Promise<PutOutcome>;
}

/** Options for {@link createDynamoMessageStore}. */
export interface DynamoMessageStoreOptions {
  /** The client to send requests with, built once by the caller (see `sdkDeadline`). */
  readonly client: DynamoDBClient;
  /** The messages table's name. */
  readonly tableName: string;
}

/** A {@link MessageStore} on a DynamoDB table defined by `table-schema.ts`. */
export function createDynamoMessageStore({
  client,
  tableName,
}: DynamoMessageStoreOptions): MessageStore {
  return {
    async put(record) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall(record, { removeUndefinedValues: true }),
            ...FIRST_WRITE_ONLY,
          }),
        );
        return 'stored';
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'duplicate';
        throw error;
      }
    },
  };
}
