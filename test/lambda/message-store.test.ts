import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMessageRecord } from '../../lambda/message-record.ts';
import { createDynamoMessageStore } from '../../lambda/message-store.ts';
import { sdkDeadline } from '../../lambda/sdk-deadline.ts';
import {
  ensureMessageTable,
  LOCAL_AWS,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';
import { sampleMessage } from '../support/openim-wire.ts';

const recordOf = (n: number) =>
  toMessageRecord(sampleMessage(n) as never, { receivedAt: 1_764_000_000_000 });

describe('the DynamoDB message store', () => {
  let engine: LocalEngine;
  let tableName: string;
  beforeAll(async () => {
    engine = await startLocalEngine();
    tableName = `messages-${randomUUID()}`;
    await ensureMessageTable(engine.client, tableName);
  });
  afterAll(() => engine.close());

  it('stores a message once and reports a repeat as a duplicate', async () => {
    // GIVEN a store on the real engine, with the deployed deadline
    const client = new DynamoDBClient({
      ...LOCAL_AWS,
      endpoint: engine.endpoint,
      ...sdkDeadline(1_500),
    });
    const store = createDynamoMessageStore({ client, tableName });

    // WHEN the same message is put twice, THEN the first is stored and the second is a duplicate
    expect(await store.put(recordOf(1))).toBe('stored');
    expect(await store.put(recordOf(1))).toBe('duplicate');
    client.destroy();
  });
});
