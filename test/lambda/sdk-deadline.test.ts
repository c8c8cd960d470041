import { once } from 'node:events';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { SAVE_DB_FIELDS } from '../../lambda/callbacks/after-msg-save-db.ts';
import { DeadlineExceeded, sdkDeadline, timeBudget, within } from '../../lambda/sdk-deadline.ts';
import { secretsManagerCredentials } from '../../lambda/secret-credentials.ts';
import { createSqsFallback } from '../../lambda/sqs-fallback.ts';
import { LOCAL_AWS } from '../../local/local-engine.ts';
import { keptSingleOf, singleRecordOf as recordOf } from '../support/records.ts';

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

  it("gives the secret's 0.5 s two attempts of 237 ms, 25 ms apart", () => {
    expect(timeBudget(500, 2)).toEqual({ attempts: 2, waitsMs: [25], perAttemptMs: 237 });
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
    const store = createDynamoArchiveStore({ client, tables: { messages: 'm', seqs: 's' } });
    const connectionsBefore = sockets.size;

    // WHEN a message is put
    const started = performance.now();
    const failure = await store.insertMessage(recordOf(200)).then(
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

  it('a save of several requests in turn gives up at the deadline of the whole, not of each', async () => {
    // GIVEN a store whose every request has the deployed 1.5 s, and the whole save 1.5 s too
    const address = silent.address() as { port: number };
    const client = new DynamoDBClient({
      ...LOCAL_AWS,
      endpoint: `http://127.0.0.1:${address.port}`,
      ...sdkDeadline(1_500),
    });
    const store = createDynamoArchiveStore({
      client,
      tables: { messages: 'm', seqs: 's' },
      deadlineMs: 1_500,
    });

    // WHEN a save-DB record is saved (up to three requests in turn, each able to take 1.5 s)
    const started = performance.now();
    const failure = await store.saveMessage({ ...recordOf(201), seq: 7 }, SAVE_DB_FIELDS).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    // THEN it fails when the whole save's time is up, with time left for the fallback
    expect(failure).toBeInstanceOf(DeadlineExceeded);
    expect(performance.now() - started).toBeLessThan(1_500 + 300);
    client.destroy();
  }, 10_000);

  it('the SQS fallback gives up at its deadline too, so the loss can still be logged', async () => {
    // GIVEN the fallback queue's client with the deployed 1 s deadline, on the silent endpoint
    const address = silent.address() as { port: number };
    const fallback = createSqsFallback({
      client: new SQSClient({
        ...LOCAL_AWS,
        endpoint: `http://127.0.0.1:${address.port}`,
        ...sdkDeadline(1_000),
      }),
      queueUrl: `http://127.0.0.1:${address.port}/000000000000/fallback`,
    });
    const connectionsBefore = sockets.size;

    // WHEN a record is kept
    const started = performance.now();
    const failure = await fallback.keep(keptSingleOf(300)).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    // THEN it fails as a timeout after three attempts, not when Lambda's 4 s run out
    expect(failure?.name).toBe('TimeoutError');
    expect(sockets.size - connectionsBefore).toBe(3);
    expect(performance.now() - started).toBeLessThan(1_000 + 1_000);
  }, 10_000);
});

describe('a Secrets Manager that starts hanging after answering', () => {
  // Answers GetSecretValue like Secrets Manager until told to hang, then never answers again.
  let hanging = false;
  let hungNow = 0;
  let mostHungAtOnce = 0;
  const hungResponses = new Set<ServerResponse>();
  const secretsManager = createHttpServer((request, response) => {
    request.resume();
    if (!hanging) {
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      response.end(
        JSON.stringify({
          ARN: 'arn:aws:secretsmanager:local:000000000000:secret:webhook',
          Name: 'webhook',
          SecretString: JSON.stringify({ username: 'openim', password: 'right' }),
        }),
      );
      return;
    }
    hungResponses.add(response);
    hungNow += 1;
    mostHungAtOnce = Math.max(mostHungAtOnce, hungNow);
    request.socket.once('close', () => {
      hungNow -= 1;
    });
  });
  beforeAll(async () => {
    secretsManager.listen(0, '127.0.0.1');
    await once(secretsManager, 'listening');
  });
  afterAll(() => {
    for (const response of hungResponses) response.destroy();
    secretsManager.close();
  });

  it("keeps accepting the last good password, one deadline per request, not Lambda's timeout", async () => {
    // GIVEN credentials read through the deployed secret client (2 attempts within 500 ms), with a
    // cache that expires at once and a re-read allowed on every call
    const address = secretsManager.address() as { port: number };
    const client = new SecretsManagerClient({
      ...LOCAL_AWS,
      endpoint: `http://127.0.0.1:${address.port}`,
      ...sdkDeadline(500, 2),
    });
    const source = secretsManagerCredentials({
      secretId: 'webhook',
      client,
      maxAgeSeconds: 0,
      recheckIntervalMs: 0,
    });
    expect(await source.current()).toEqual({ username: 'openim', password: 'right' });
    expect(await source.others()).toHaveLength(2);

    // WHEN Secrets Manager hangs and the cached value has expired
    hanging = true;
    let started = performance.now();
    const current = await source.current();
    const currentMs = performance.now() - started;
    started = performance.now();
    const others = await source.others();
    const othersMs = performance.now() - started;

    // THEN the last good credentials still answer, each after two cut attempts, at about the deadline
    expect(current).toEqual({ username: 'openim', password: 'right' });
    expect(others).toEqual([current, current]);
    expect(hungResponses.size).toBe(2 + 2 * 2);
    expect(currentMs).toBeLessThan(500 + 1_000);
    expect(othersMs).toBeLessThan(500 + 1_000);
    // AND both versions were re-read at the same time, so the wait was one deadline, not two
    expect(mostHungAtOnce).toBe(2);
    client.destroy();
  }, 10_000);
});

describe('within', () => {
  it('settles with the work when it is done in time, and leaves no timer behind', async () => {
    expect(await within(1_000, Promise.resolve('done'))).toBe('done');
    await expect(within(1_000, Promise.reject(new Error('failed')))).rejects.toThrow('failed');
  });

  it('fails at the deadline, and a late failure of the work is no unhandled rejection', async () => {
    // GIVEN work that fails only after the deadline
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 50));

    // WHEN it is given 10 ms
    const outcome = within(10, late);

    // THEN the deadline wins, and the late rejection goes nowhere (vitest fails the run on one)
    await expect(outcome).rejects.toBeInstanceOf(DeadlineExceeded);
    await new Promise((resolve) => setTimeout(resolve, 80));
  });
});
