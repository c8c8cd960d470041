/**
 * What a reconcile remembers between runs, in the seqs table: for each conversation, how far it
 * asked OpenIM (seq 0 of the conversation), and for a run that ran out of time, where the next
 * one resumes. Only ever moved forward, so two runs at once, or a run that stops anywhere, leave
 * them right.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { CONVERSATION_ITEM_SEQ, RECONCILE_RUN_KEY, SeqAttribute } from '../table-schema.ts';
import { UpdateExpression } from '../update-expression.ts';

/** How far a reconcile got with a conversation. */
export interface ConversationCheckpoint {
  /** Every seq up to here was asked of OpenIM and accounted for. */
  readonly reconciledThrough: number;
  /** When `reconciledThrough` last moved, in ms. */
  readonly reconciledAt?: number;
  /** The send time of the newest message seen, in ms: whether to re-check recent seqs. */
  readonly newestSendTime?: number;
  /** The user whose view was pulled last time. */
  readonly pullAs?: string;
}

/** An item of the seqs table, read consistently. */
async function readItem(
  client: DynamoDBClient,
  tableName: string,
  conversationID: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: marshall({ conversationID, seq: CONVERSATION_ITEM_SEQ }),
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** A conversation's checkpoint, if a reconcile ever asked OpenIM about it. */
export async function readCheckpoint(
  client: DynamoDBClient,
  seqTable: string,
  conversationID: string,
): Promise<ConversationCheckpoint | undefined> {
  const item = await readItem(client, seqTable, conversationID);
  const through = item?.[SeqAttribute.reconciledThrough];
  if (typeof through !== 'number') return undefined;
  return {
    reconciledThrough: through,
    ...(typeof item?.[SeqAttribute.reconciledAt] === 'number'
      ? { reconciledAt: item[SeqAttribute.reconciledAt] as number }
      : {}),
    ...(typeof item?.[SeqAttribute.newestSendTime] === 'number'
      ? { newestSendTime: item[SeqAttribute.newestSendTime] as number }
      : {}),
    ...(typeof item?.[SeqAttribute.pullAs] === 'string'
      ? { pullAs: item[SeqAttribute.pullAs] as string }
      : {}),
  };
}

/** Moves a conversation's checkpoint forward to `checkpoint`; never back. */
export async function advanceCheckpoint(
  client: DynamoDBClient,
  seqTable: string,
  conversationID: string,
  checkpoint: Required<ConversationCheckpoint>,
): Promise<void> {
  const update = new UpdateExpression()
    .set(SeqAttribute.reconciledThrough, checkpoint.reconciledThrough)
    .set(SeqAttribute.reconciledAt, checkpoint.reconciledAt)
    .set(SeqAttribute.newestSendTime, checkpoint.newestSendTime)
    .set(SeqAttribute.pullAs, checkpoint.pullAs);
  const through = update.name(SeqAttribute.reconciledThrough);
  const condition = `attribute_not_exists(${through}) OR ${through} < ${update.value(checkpoint.reconciledThrough)}`;
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: seqTable,
        Key: marshall({ conversationID, seq: CONVERSATION_ITEM_SEQ }),
        ...update.toInput(),
        ConditionExpression: condition,
      }),
    );
  } catch (error) {
    // Another run got further meanwhile: its checkpoint stands.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** The page of OpenIM's users a run starts at: where an unfinished one stopped, else 1. */
export async function readUserPage(client: DynamoDBClient, seqTable: string): Promise<number> {
  const item = await readItem(client, seqTable, RECONCILE_RUN_KEY);
  const page = item?.[SeqAttribute.nextUserPage];
  return typeof page === 'number' && page >= 1 ? page : 1;
}

/** Notes the page the next run starts at (1 once a run went through every user). */
export async function writeUserPage(
  client: DynamoDBClient,
  seqTable: string,
  page: number,
): Promise<void> {
  const update = new UpdateExpression().set(SeqAttribute.nextUserPage, page);
  await client.send(
    new UpdateItemCommand({
      TableName: seqTable,
      Key: marshall({ conversationID: RECONCILE_RUN_KEY, seq: CONVERSATION_ITEM_SEQ }),
      ...update.toInput(),
    }),
  );
}
