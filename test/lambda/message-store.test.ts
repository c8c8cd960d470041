import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toMessageRecord } from '../../lambda/message-record.ts';
import {
  createDynamoMessageStore,
  putDeadline,
  putTimeBudget,
} from '../../lambda/message-store.ts';
import {
  ensureMessageTable,
  LOCAL_AWS,
  type LocalEngine,
  startLocalEngine,
} from '../../local/local-engine.ts';
import { sampleMessage } from '../support/openim-wire.ts';

const recordOf = (n: number) =>
  toMessageRecord(sampleMessage(n) as never, { receivedAt: 1_764_000_000_000 });

describe('the time budget of a put', () => {
  it('never lets attempts and waits together exceed the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 60_000 }),
        fc.integer({ min: 1, max: 6 }),
        (deadlineMs, attempts) => {
          const { waitsMs, perAttemptMs } = putTimeBudget(deadlineMs, attempts);
          const worstCase = attempts * perAttemptMs + waitsMs.reduce((sum, w) => sum + w, 0);
          expect(waitsMs).toHaveLength(attempts - 1);
          expect(worstCase).toBeLessThanOrEqual(deadlineMs);
          // Even with 6 attempts, each keeps a 24th of the deadline.
          expect(perAttemptMs).toBeGreaterThanOrEqual(Math.floor(deadlineMs / 24));
        },
      ),
    );
  });

  it("gives the deployed function's 1.5 s three attempts of 425 ms, 75 and 150 ms apart", () => {
    expect(putTimeBudget(1_500, 3)).toEqual({ attempts: 3, waitsMs: [75, 150], perAttemptMs: 425 });
  });

  it('refuses a number of attempts it cannot fit', () => {
    expect(() => putTimeBudget(1_500, 0)).toThrow(RangeError);
    expect(() => putTimeBudget(1_500, 7)).toThrow(/1 to 6 attempts/);
  });
});

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
      ...putDeadline(1_500),
    });
    const store = createDynamoMessageStore({ client, tableName });

    // WHEN the same message is put twice, THEN the first is stored and the second is a duplicate
    expect(await store.put(recordOf(1))).toBe('stored');
    expect(await store.put(recordOf(1))).toBe('duplicate');
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

    it('cuts each hung attempt, retries on a new connection, and gives up within the deadline', async () => {
      // GIVEN a store whose client has only the put deadline as its time limit
      const address = silent.address() as { port: number };
      const client = new DynamoDBClient({
        ...LOCAL_AWS,
        endpoint: `http://127.0.0.1:${address.port}`,
        ...putDeadline(600, 3),
      });
      const store = createDynamoMessageStore({ client, tableName });
      const connectionsBefore = sockets.size;

      // WHEN a message is put
      const started = performance.now();
      const failure = await store.put(recordOf(200)).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      const elapsedMs = performance.now() - started;

      // THEN it fails as a timeout (it would otherwise wait forever), after three attempts on
      // three connections, soon after the deadline rather than never
      expect(failure?.name).toBe('TimeoutError');
      expect(sockets.size - connectionsBefore).toBe(3);
      expect(elapsedMs).toBeLessThan(600 + 1_000);
      client.destroy();
    }, 10_000);
  });
});
