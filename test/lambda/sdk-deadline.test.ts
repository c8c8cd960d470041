import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsFallback } from '../../lambda/message-fallback.ts';
import { toMessageRecord } from '../../lambda/message-record.ts';
import { createDynamoMessageStore } from '../../lambda/message-store.ts';
import { sdkDeadline, timeBudget } from '../../lambda/sdk-deadline.ts';
import { LOCAL_AWS } from '../../local/local-engine.ts';
import { sampleMessage } from '../support/openim-wire.ts';

const recordOf = (n: number) =>
  toMessageRecord(sampleMessage(n) as never, { receivedAt: 1_764_000_000_000 });

describe('the time budget of a request', () => {
  it('never lets attempts and waits together exceed the deadline', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 60_000 }),
        fc.integer({ min: 1, max: 6 }),
        (deadlineMs, attempts) => {
          const { waitsMs, perAttemptMs } = timeBudget(deadlineMs, attempts);
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
    expect(timeBudget(1_500, 3)).toEqual({ attempts: 3, waitsMs: [75, 150], perAttemptMs: 425 });
  });

  it('refuses a number of attempts it cannot fit', () => {
    expect(() => timeBudget(1_500, 0)).toThrow(RangeError);
    expect(() => timeBudget(1_500, 7)).toThrow(/1 to 6 attempts/);
  });
});

describe('against an endpoint that accepts connections but never answers', () => {
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

  it('the table store cuts each hung attempt, retries on a new connection, and gives up at the deadline', async () => {
    // GIVEN a store whose client has only the put deadline as its time limit
    const address = silent.address() as { port: number };
    const client = new DynamoDBClient({
      ...LOCAL_AWS,
      endpoint: `http://127.0.0.1:${address.port}`,
      ...sdkDeadline(600, 3),
    });
    const store = createDynamoMessageStore({ client, tableName: 'messages' });
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
  it('the SQS fallback gives up at its deadline too, so the loss can still be logged', async () => {
    // GIVEN the fallback queue's client with the deployed 1 s deadline, on the silent endpoint
    const address = silent.address() as { port: number };
    const fallback = createSqsFallback({
      newClient: () =>
        new SQSClient({
          ...LOCAL_AWS,
          endpoint: `http://127.0.0.1:${address.port}`,
          ...sdkDeadline(1_000),
        }),
      queueUrl: `http://127.0.0.1:${address.port}/000000000000/fallback`,
    });
    const connectionsBefore = sockets.size;

    // WHEN a record is kept
    const started = performance.now();
    const failure = await fallback.keep(recordOf(300)).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    // THEN it fails as a timeout after three attempts, not when Lambda's 3 s run out
    expect(failure?.name).toBe('TimeoutError');
    expect(sockets.size - connectionsBefore).toBe(3);
    expect(performance.now() - started).toBeLessThan(1_000 + 1_000);
  }, 10_000);
});
