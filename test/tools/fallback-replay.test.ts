import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { afterSendSingleMsg } from '../../lambda/callbacks/after-send-single-msg.ts';
import {
  createSpoolFallback,
  decodeKeptRecord,
  encodeKeptRecord,
  FallbackTooLarge,
  fallbackOnFirstUse,
  type KeptRecord,
  type MessageFallback,
  SQS_MAX_MESSAGE_BYTES,
} from '../../lambda/message-fallback.ts';
import { createHandler } from '../../lambda/receiver.ts';
import { createSqsFallback } from '../../lambda/sqs-fallback.ts';
import { queueSource, replay } from '../../tools/fallback-replay.ts';
import { main as replayMain } from '../../tools/replay.ts';
import { COMMAND, encodeBody, sampleMessage } from '../support/openim-wire.ts';
import {
  keptSingleOf as keptOf,
  RECEIVED_AT,
  singleRecordOf as recordOf,
} from '../support/records.ts';
import { sqsQueue } from '../support/sqs-queue.ts';
import {
  post,
  quietLogger,
  startTestReceiver,
  type TestReceiver,
} from '../support/test-receiver.ts';
import { runMain } from '../support/tool-main.ts';

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
    expect(report).toEqual({ stored: 1, alreadyStored: 1, skipped: [] });
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

describe('any text OpenIM can send, through the fallback and a replay', () => {
  /** Characters SQS refuses, control characters, emoji, markup, line separators. */
  const UNUSUAL =
    'a\uFFFEb\uFFFFc\u0000\u0001\u001f\u007f\u0085 😀 <script>&amp;</script> \u2028\u2029';

  it('comes back byte for byte from the SQS fallback, though SQS refuses some of it raw', async () => {
    // GIVEN a receiver whose table is down, keeping records in an SQS queue with SQS's rules
    const queue = sqsQueue();
    const down = createHandler({
      store: createDynamoArchiveStore({
        client: receiver.engine.client,
        tables: { messages: 'no-such-table', seqs: 'no-such-table' },
      }),
      fallback: createSqsFallback({ client: queue.client, queueUrl: 'https://q' }),
      logger: quietLogger(),
      now: () => RECEIVED_AT,
    });
    const message = sampleMessage(93_001, {
      content: UNUSUAL,
      senderNickname: UNUSUAL,
      ex: UNUSUAL,
    });
    expect(() => JSON.stringify(message)).not.toThrow();

    // WHEN OpenIM posts it, then the queue is replayed into the working table
    const answer = await post(down, `/${COMMAND}`, encodeBody(message, 'v3.8.1'));
    const report = await replay(queueSource(queue.client, 'https://q'), receiver.store);

    // THEN it was kept (503, not lost), replayed, and is stored exactly as a working receiver
    // would have stored it
    expect(answer.statusCode).toBe(503);
    expect(answer.body.errDlt).toBe('it was kept in the fallback and will be stored by a replay');
    expect(report).toEqual({ stored: 1, alreadyStored: 0, skipped: [] });
    expect(queue.messages).toEqual([]);
    const expected = afterSendSingleMsg.toRecord(message as never, { receivedAt: RECEIVED_AT });
    expect(await receiver.item(message.serverMsgID)).toEqual(expected);
    expect((await receiver.item(message.serverMsgID))?.content).toBe(UNUSUAL);
    queue.mock.restore();
  });

  it('compresses a record whose JSON would not fit the queue, and refuses one that still would not', () => {
    // GIVEN a record of control characters, each six bytes once escaped in JSON
    const kept = {
      callback: COMMAND,
      record: { ...recordOf(93_002), content: '\u0001'.repeat(200_000) },
    };
    const limit = SQS_MAX_MESSAGE_BYTES - 100;
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeGreaterThan(limit);

    // WHEN it is encoded for the queue
    const encoded = encodeKeptRecord(kept, limit);

    // THEN it fits, compressed, and decodes to the same record
    expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(limit);
    expect(JSON.parse(encoded)).toMatchObject({ encoding: 'gzip-base64' });
    expect(decodeKeptRecord(encoded)).toEqual(kept);

    // AND a record that does not fit even compressed is refused with a reason, not cut
    const random = randomBytes(300_000).toString('base64');
    expect(() =>
      encodeKeptRecord({ ...kept, record: { ...kept.record, content: random } }, 200_000),
    ).toThrow(FallbackTooLarge);
  });

  it('keeps a lone surrogate and the characters SQS refuses as escapes SQS takes', () => {
    const kept = { callback: COMMAND, record: { ...recordOf(93_003), content: `x\uD800y\uFFFF` } };

    const encoded = encodeKeptRecord(kept);

    expect(encoded).toMatch(/^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]*$/);
    expect(decodeKeptRecord(encoded)).toEqual(kept);
  });
});

describe('a replay that meets a record the table refuses', () => {
  /** A record DynamoDB refuses whatever is tried: larger than an item may be. */
  const refused = () => ({ ...recordOf(94_002), content: 'x'.repeat(410_000) });

  it('skips it, keeps it in failed/, stores the rest and exits non-zero naming it', async () => {
    // GIVEN a spool holding a good record, one the table refuses, and another good one
    const dataDir = await mkdtemp(join(tmpdir(), 'skip-'));
    const spool = createSpoolFallback({ directory: join(dataDir, 'fallback') });
    const bad = refused();
    for (const record of [recordOf(94_001), bad, recordOf(94_003)]) {
      await spool.keep({ callback: COMMAND, record });
    }
    const env = {
      DYNAMODB_PORT: new URL(receiver.engine.endpoint).port,
      TABLE_NAME: receiver.tables.messages,
      DATA_DIR: dataDir,
    };

    // WHEN it is replayed
    const result = await runMain(replayMain, [], { env });

    // THEN the good ones are stored, the refused one is named with its reason and kept apart
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Done: 2 stored, 0 were already in the table.');
    expect(result.stderr).toContain(
      `1 record(s) could not be stored and were left in ${join(dataDir, 'fallback', 'failed')}:`,
    );
    expect(result.stderr).toContain(
      `serverMsgID ${bad.serverMsgID}: ValidationException: Item size has exceeded the maximum allowed size`,
    );
    expect(await receiver.item(recordOf(94_001).serverMsgID)).toBeDefined();
    expect(await receiver.item(recordOf(94_003).serverMsgID)).toBeDefined();
    expect(await readdir(join(dataDir, 'fallback'))).toEqual(['failed']);
    expect(await readdir(join(dataDir, 'fallback', 'failed'))).toHaveLength(1);

    // AND a second replay tries it again, and keeps it where it is
    const again = await runMain(replayMain, [], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Done: 0 stored');
    expect(await readdir(join(dataDir, 'fallback', 'failed'))).toHaveLength(1);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves it in the queue and deletes the rest', async () => {
    const queue = sqsQueue();
    const fallback = createSqsFallback({ client: queue.client, queueUrl: 'https://q' });
    for (const record of [recordOf(94_011), refused(), recordOf(94_013)]) {
      await fallback.keep({ callback: COMMAND, record });
    }

    const report = await replay(queueSource(queue.client, 'https://q'), receiver.store);

    expect(report.stored).toBe(2);
    expect(report.skipped).toEqual([
      {
        identity: `serverMsgID ${refused().serverMsgID}`,
        reason: 'ValidationException: Item size has exceeded the maximum allowed size',
      },
    ]);
    expect(queue.messages).toHaveLength(1);
    queue.mock.restore();
  });
});

describe('a kept record that is not whole', () => {
  it('is named and left in the queue, never stored as a partial item', async () => {
    const queue = sqsQueue();
    const partial = { serverMsgID: 'x-partial' };
    await createSqsFallback({ client: queue.client, queueUrl: 'https://q' }).keep({
      callback: 'callbackAfterSendGroupMsgCommand',
      record: partial as never,
    });

    const report = await replay(queueSource(queue.client, 'https://q'), receiver.store);

    expect(report.stored).toBe(0);
    expect(report.skipped).toEqual([
      {
        identity: expect.stringMatching(/^message m\d+$/),
        reason: expect.stringContaining(
          'holds no whole callbackAfterSendGroupMsgCommand record: sendID, seq, conversationID',
        ),
      },
    ]);
    expect(await receiver.item('x-partial')).toBeUndefined();
    expect(queue.messages).toHaveLength(1);
    queue.mock.restore();
  });
});
