import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import {
  fallbackOnFirstUse,
  type KeptRecord,
  type MessageFallback,
} from '../../lambda/message-fallback.ts';
import { createSqsFallback } from '../../lambda/sqs-fallback.ts';
import { queueSource, replay } from '../../tools/fallback-replay.ts';
import { keptSingleOf as keptOf, singleRecordOf as recordOf } from '../support/records.ts';
import { startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

// SQS has no local engine here, so its side is mocked; the table is the real local engine.
describe('the SQS fallback', () => {
  it('sends the whole record as JSON with its command, tagged with the command', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const kept = keptOf(1);
    const fallback = createSqsFallback({
      client: new SQSClient({ region: 'local' }),
      queueUrl: 'https://q',
    });

    await fallback.keep(kept);

    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call?.args[0].input.QueueUrl).toBe('https://q');
    expect(JSON.parse(call?.args[0].input.MessageBody ?? '')).toEqual(kept);
    expect(call?.args[0].input.MessageAttributes?.callback?.StringValue).toBe(kept.callback);
    sqs.restore();
  });

  it('is made on the first record kept, once, and made again if making it failed', async () => {
    // GIVEN a fallback whose making fails the first time (as a failed import would)
    const kept: KeptRecord[] = [];
    let attempts = 0;
    const fallback = fallbackOnFirstUse(async (): Promise<MessageFallback> => {
      attempts += 1;
      if (attempts === 1) throw new Error('could not load');
      return { keep: async (record) => void kept.push(record) };
    });
    // Nothing is made at cold start: a function whose table never fails never loads SQS code.
    expect(attempts).toBe(0);

    // WHEN records are kept, the first while making fails
    await expect(fallback.keep(keptOf(1))).rejects.toThrow('could not load');
    await Promise.all([fallback.keep(keptOf(2)), fallback.keep(keptOf(3))]);
    await fallback.keep(keptOf(4));

    // THEN the failure reached its caller, and one later attempt served every record after it
    expect(attempts).toBe(2);
    expect(kept.map((k) => k.record.serverMsgID)).toEqual(
      [recordOf(2), recordOf(3), recordOf(4)].map((r) => r.serverMsgID),
    );
  });

  it('is drained by a replay into the table, deleting each message only once it is stored', async () => {
    // GIVEN a queue holding two records, one of which is already in the table; the other as a
    // receiver before the group and save-DB callbacks kept it (the bare record)
    const sqs = mockClient(SQSClient);
    const [a, b] = [recordOf(2), recordOf(3)];
    const store = receiver.store;
    await store.insertMessage(a);
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { MessageId: '1', ReceiptHandle: 'r1', Body: JSON.stringify(keptOf(2)) },
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
        Messages: [{ MessageId: '1', ReceiptHandle: 'r1', Body: JSON.stringify(keptOf(4)) }],
      })
      .resolves({ Messages: [] });
    const broken = createDynamoArchiveStore({
      client: receiver.engine.client,
      tables: { messages: 'no-such-table', seqs: 'no-such-table' },
    });

    await expect(
      replay(queueSource(new SQSClient({ region: 'local' }), 'https://q'), broken),
    ).rejects.toThrow();

    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    sqs.restore();
  });
});
