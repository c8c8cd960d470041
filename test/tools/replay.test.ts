import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpoolFallback, type KeptRecord } from '../../lambda/message-fallback.ts';
import type { MessageRecord } from '../../lambda/message-record.ts';
import { regionOfQueueUrl, main as replay } from '../../tools/replay.ts';
import { freePort, run } from '../support/child.ts';
import { sampleMessage } from '../support/openim-wire.ts';
import { keptSaveDbOf, keptSingleOf, singleRecordOf as recordOf } from '../support/records.ts';
import { startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';
import { runMain } from '../support/tool-main.ts';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'replay-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** Runs `npm run replay` to its end and returns its exit code and output. */
async function replayCommand(env: Record<string, string>) {
  const replaying = run('npm', ['run', 'replay'], env);
  const code = await replaying.exitCode();
  return { code, output: replaying.output() };
}

describe('npm run replay (local)', () => {
  it('stores what the spool holds into the running receiver, once, with progress', async () => {
    // GIVEN three messages kept in the spool while the table was down
    const spool = createSpoolFallback({ directory: join(dataDir, 'fallback') });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const kept = keptSingleOf(80_000 + n);
      await spool.keep(kept);
      ids.push(String(kept.record.serverMsgID));
    }
    const dynamoPort = String(await freePort());
    const env = { PORT: '0', DYNAMODB_PORT: dynamoPort, DATA_DIR: dataDir };

    // WHEN the receiver starts, THEN its banner says what waits and how to store it
    const receiver = run('npm', ['start'], env);
    try {
      await receiver.waitFor(/fallback: 3 message\(s\) wait in .*npm run replay/);

      // WHEN the replay runs
      const first = await replayCommand(env);

      // THEN all three are stored, progress was shown, and the spool is empty
      expect(first.code).toBe(0);
      expect(first.output).toContain('Replaying 3 message(s)');
      expect(first.output).toContain('3/3 replayed');
      expect(first.output).toContain('Done: 3 stored, 0 were already in the table.');
      expect(await readdir(join(dataDir, 'fallback'))).toEqual([]);

      // AND a record is there with its fields
      const { DynamoDBClient, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
      const { LOCAL_AWS } = await import('../../local/local-engine.ts');
      const client = new DynamoDBClient({
        ...LOCAL_AWS,
        endpoint: `http://127.0.0.1:${dynamoPort}`,
      });
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: 'openim-messages',
          Key: { serverMsgID: { S: ids[0] ?? '' } },
        }),
      );
      client.destroy();
      expect(Item?.content?.S).toBe(sampleMessage(80_001).content);

      // AND a second replay has nothing to do
      expect((await replayCommand(env)).output).toContain('Done: 0 stored');
    } finally {
      await receiver.stop();
    }
  }, 60_000);

  it('says to start the receiver when its engine is not running, and keeps the spool', async () => {
    const spool = createSpoolFallback({ directory: join(dataDir, 'fallback') });
    await spool.keep(keptSingleOf(80_010));

    const result = await replayCommand({
      DYNAMODB_PORT: String(await freePort()),
      DATA_DIR: dataDir,
    });

    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'the local engine is not running: start the receiver (npm start) first',
    );
    expect(await readdir(join(dataDir, 'fallback'))).toHaveLength(1);
  }, 60_000);
});

// SQS and CloudFormation have no engine offline, so they are mocked; the table is the real engine.
describe('npm run replay after cdk destroy: the retained queue into the retained table', () => {
  const QUEUE_URL =
    'https://sqs.eu-west-1.amazonaws.com/123456789012/OpenImCallbackReceiver-Fallback';
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await startTestReceiver();
  });
  afterAll(() => receiver.close());

  /** A queue holding `records`, the stack (if any), and the clients each region is asked for. */
  function aws(records: (MessageRecord | KeptRecord)[]) {
    const config = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } };
    const sqsClient = new SQSClient(config);
    const cloudFormationClient = new CloudFormationClient(config);
    const sqs = mockClient(sqsClient);
    const cloudFormation = mockClient(cloudFormationClient);
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { ApproximateNumberOfMessages: String(records.length) } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: records.map((record, i) => ({
          MessageId: `m${i}`,
          ReceiptHandle: `r${i}`,
          Body: JSON.stringify(record),
        })),
      })
      .resolves({ Messages: [] });
    const regions: (string | undefined)[] = [];
    const clients = (region: string | undefined) => {
      regions.push(region);
      return {
        cloudFormation: cloudFormationClient,
        dynamoDB: receiver.engine.client,
        sqs: sqsClient,
      };
    };
    return { sqs, cloudFormation, clients, regions };
  }

  it("drains --queue-url into --table without the stack, in the queue URL's region", async () => {
    // GIVEN a retained queue holding two records, one of which is already in the table
    const [a, b] = [recordOf(90_001), recordOf(90_002)];
    await receiver.store.insertMessage(a);
    const { sqs, cloudFormation, clients, regions } = aws([a, b]);

    // WHEN
    const result = await runMain(
      replay,
      [
        '--queue-url',
        QUEUE_URL,
        '--table',
        receiver.tables.messages,
        '--seq-table',
        receiver.tables.seqs,
      ],
      { clients },
    );

    // THEN both are in the table once, each message is deleted once stored, and no stack was asked
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `Replaying 2 message(s) from ${QUEUE_URL} into ${receiver.tables.messages}`,
    );
    expect(result.stderr).toContain('2/2 replayed');
    expect(result.stderr).toContain('Done: 1 stored, 1 were already in the table.');
    expect(await receiver.item(b.serverMsgID)).toEqual(b);
    expect(
      sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle),
    ).toEqual(['r0', 'r1']);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(new Set(regions)).toEqual(new Set(['eu-west-1']));
  });

  it('with --stack, reads the stack once for both the queue and the table', async () => {
    const record = recordOf(90_003);
    const { cloudFormation, clients } = aws([record]);
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'S',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'FallbackQueueUrl', OutputValue: QUEUE_URL },
            { OutputKey: 'TableName', OutputValue: receiver.tables.messages },
            { OutputKey: 'SeqTableName', OutputValue: receiver.tables.seqs },
          ],
        },
      ],
    });

    const result = await runMain(replay, ['--stack', 'S'], { clients });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Done: 1 stored, 0 were already in the table.');
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(await receiver.item(record.serverMsgID)).toEqual(record);
  });

  it('once the stack is gone, says how to replay without it', async () => {
    const { cloudFormation, sqs, clients } = aws([recordOf(90_004)]);
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Stack with id S does not exist'), { name: 'ValidationError' }),
      );

    const result = await runMain(replay, ['--stack', 'S'], { clients });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'npm run replay -- --queue-url URL --table NAME --seq-table NAME',
    );
    expect(result.stderr).toContain('What was not replayed is still in the fallback.');
    expect(sqs.calls()).toHaveLength(0);
  });

  it('refuses --queue-url without the table its records go to', async () => {
    const { sqs, clients } = aws([recordOf(90_005)]);

    const result = await runMain(replay, ['--queue-url', QUEUE_URL], { clients });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '--queue-url needs the table its records go to. Fix: add --table NAME',
    );
    expect(sqs.calls()).toHaveLength(0);
  });

  it('without --seq-table, stores after-send records and stops at the first save-DB one', async () => {
    // GIVEN a queue holding an after-send record, then a save-DB record
    const single = keptSingleOf(90_006);
    const savedDb = keptSaveDbOf(90_007, 41);
    const { sqs, clients } = aws([single, savedDb]);

    // WHEN it is replayed into the messages table alone
    const result = await runMain(
      replay,
      ['--queue-url', QUEUE_URL, '--table', receiver.tables.messages],
      { clients },
    );

    // THEN the first is stored and deleted; the save-DB record stays queued, with the fix named
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('A save-DB or revoke record needs the seqs table.');
    expect(result.stderr).toContain('Fix: add --seq-table NAME');
    expect(await receiver.item(String(single.record.serverMsgID))).toEqual(single.record);
    expect(await receiver.item(String(savedDb.record.serverMsgID))).toBeUndefined();
    expect(
      sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle),
    ).toEqual(['r0']);
  });

  it('finds the region in every form of queue URL', () => {
    expect(regionOfQueueUrl(QUEUE_URL)).toBe('eu-west-1');
    expect(regionOfQueueUrl('https://sqs.cn-north-1.amazonaws.com.cn/1/q')).toBe('cn-north-1');
    expect(regionOfQueueUrl('https://eu-west-1.queue.amazonaws.com/1/q')).toBe('eu-west-1');
    expect(regionOfQueueUrl('http://127.0.0.1:9324/000000000000/q')).toBeUndefined();
  });
});
