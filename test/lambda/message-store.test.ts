import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toMessageRecord } from '../../lambda/message-record.ts';
import { createDynamoMessageStore } from '../../lambda/message-store.ts';
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
    // GIVEN a store on the real engine
    const store = createDynamoMessageStore({ client: engine.client, tableName, deadlineMs: 1_500 });

    // WHEN the same message is put twice, THEN the first is stored and the second is a duplicate
    expect(await store.put(recordOf(1))).toBe('stored');
    expect(await store.put(recordOf(1))).toBe('duplicate');
  });

  it('cancels the deadline of a put that settled, instead of firing it later', async () => {
    // GIVEN a store with a short deadline, watching the signal each request carries
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: engine.endpoint });
    const signals: AbortSignal[] = [];
    const send = client.send.bind(client);
    vi.spyOn(client, 'send').mockImplementation(((
      command: never,
      options?: { abortSignal?: AbortSignal },
    ) => {
      if (options?.abortSignal) signals.push(options.abortSignal);
      return send(command, options as never);
    }) as never);
    const store = createDynamoMessageStore({ client, tableName, deadlineMs: 100 });

    // WHEN 20 puts finish within their deadline, and the deadline passes
    for (let n = 100; n < 120; n++) await store.put(recordOf(n));
    await new Promise((resolve) => setTimeout(resolve, 250));

    // THEN none of their signals fired: under load, each would be a timer and an abort per message
    expect(signals).toHaveLength(20);
    expect(signals.filter((signal) => signal.aborted)).toHaveLength(0);
    client.destroy();
  });

  describe('against a table endpoint that accepts connections but never answers', () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.resume();
      }).listen(0, '127.0.0.1');
      await once(silent, 'listening');
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });

    it('gives up at its deadline, so the fallback still has time', async () => {
      // GIVEN a store whose client has no timeout of its own, only the store's deadline
      const address = silent.address() as { port: number };
      const client = new DynamoDBClient({
        ...LOCAL_AWS,
        endpoint: `http://127.0.0.1:${address.port}`,
        maxAttempts: 1,
      });
      const store = createDynamoMessageStore({ client, tableName, deadlineMs: 200 });

      // WHEN a message is put, THEN the put fails (it would otherwise wait forever)
      await expect(store.put(recordOf(200))).rejects.toThrow(/abort/i);
      client.destroy();
    }, 5_000);
  });
});
