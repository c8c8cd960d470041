import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCallback } from '../../lambda/callback-schema.ts';
import { fallbackOnFirstUse, type MessageFallback } from '../../lambda/message-fallback.ts';
import { type MessageRecord, toMessageRecord } from '../../lambda/message-record.ts';
import { createDynamoMessageStore } from '../../lambda/message-store.ts';
import { createSqsFallback } from '../../lambda/sqs-fallback.ts';
import { queueSource, replay } from '../../tools/fallback-replay.ts';
import { encodeBody, sampleMessage } from '../support/openim-wire.ts';
import { startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';

/** The record the receiver would build for sample message `n`. */
function recordOf(n: number): MessageRecord {
  const parsed = validateCallback(JSON.parse(encodeBody(sampleMessage(n), 'v3.8.1')));
  if (!parsed.ok) throw new Error('sample is invalid');
  return toMessageRecord(parsed.message, { receivedAt: 1_700_000_000_000 + n });
}

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

// SQS has no local engine here, so its side is mocked; the table is the real local engine.
describe('the SQS fallback', () => {
  it('sends the whole record as JSON, tagged with its serverMsgID', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const record = recordOf(1);
    const fallback = createSqsFallback({
      client: new SQSClient({ region: 'local' }),
      queueUrl: 'https://q',
    });

    await fallback.keep(record);

    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call?.args[0].input.QueueUrl).toBe('https://q');
    expect(JSON.parse(call?.args[0].input.MessageBody ?? '')).toEqual(record);
    expect(call?.args[0].input.MessageAttributes?.serverMsgID?.StringValue).toBe(
      record.serverMsgID,
    );
    sqs.restore();
  });

  it('is made on the first record kept, once, and made again if making it failed', async () => {
    // GIVEN a fallback whose making fails the first time (as a failed import would)
    const kept: MessageRecord[] = [];
    let attempts = 0;
    const fallback = fallbackOnFirstUse(async (): Promise<MessageFallback> => {
      attempts += 1;
      if (attempts === 1) throw new Error('could not load');
      return { keep: async (record) => void kept.push(record) };
    });
    // Nothing is made at cold start: a function whose table never fails never loads SQS code.
    expect(attempts).toBe(0);

    // WHEN records are kept, the first while making fails
    await expect(fallback.keep(recordOf(1))).rejects.toThrow('could not load');
    await Promise.all([fallback.keep(recordOf(2)), fallback.keep(recordOf(3))]);
    await fallback.keep(recordOf(4));

    // THEN the failure reached its caller, and one later attempt served every record after it
    expect(attempts).toBe(2);
    expect(kept.map((r) => r.serverMsgID)).toEqual(
      [recordOf(2), recordOf(3), recordOf(4)].map((r) => r.serverMsgID),
    );
  });

  it('is drained by a replay into the table, deleting each message only once it is stored', async () => {
    // GIVEN a queue holding two records, one of which is already in the table
    const sqs = mockClient(SQSClient);
    const [a, b] = [recordOf(2), recordOf(3)];
    const store = createDynamoMessageStore({
      client: receiver.engine.client,
      tableName: receiver.tableName,
    });
    await store.put(a);
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: '1', ReceiptHandle: 'r1', Body: JSON.stringify(a) },
          { MessageId: '2', ReceiptHandle: 'r2', Body: JSON.stringify(b) },
        ],
      })
      .resolves({ Messages: [] });
    const source = queueSource(new SQSClient({ region: 'local' }), 'https://q');
    const progress: number[] = [];

    // WHEN it is replayed
    const report = await replay(source, store, (r) => progress.push(r.stored + r.alreadyStored));

    // THEN both are in the table once, both messages are deleted, and progress was reported
    expect(await source.count()).toBe(2);
    expect(report).toEqual({ stored: 1, alreadyStored: 1 });
    expect(progress).toEqual([1, 2]);
    expect(await receiver.item(b.serverMsgID)).toEqual(b);
    expect(
      sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle),
    ).toEqual(['r1', 'r2']);
    sqs.restore();
  });

  it('stops at a failed write and leaves that message in the queue', async () => {
    const sqs = mockClient(SQSClient);
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [{ MessageId: '1', ReceiptHandle: 'r1', Body: JSON.stringify(recordOf(4)) }],
      })
      .resolves({ Messages: [] });
    const broken = createDynamoMessageStore({
      client: receiver.engine.client,
      tableName: 'no-such-table',
    });

    await expect(
      replay(queueSource(new SQSClient({ region: 'local' }), 'https://q'), broken),
    ).rejects.toThrow();

    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    sqs.restore();
  });
});
