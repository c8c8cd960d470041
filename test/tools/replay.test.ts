import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpoolFallback } from '../../lambda/message-fallback.ts';
import { freePort, run } from '../support/child.ts';
import { sampleMessage } from '../support/openim-wire.ts';
import { keptSingleOf } from '../support/records.ts';

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
