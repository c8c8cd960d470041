import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveStore } from '../../lambda/archive-store.ts';
import {
  createReceiverServer,
  type ReceiverServer,
  type Refusal,
} from '../../local/receiver-server.ts';
import {
  encodeBody,
  OPENIM_VERSIONS,
  requestHeaders,
  requestPath,
  sampleMessage,
  V38_EXAMPLE_BODY,
} from '../support/openim-wire.ts';
import { inParallel } from '../support/send.ts';
import { SUCCESS, startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';

let receiver: TestReceiver;
let server: ReceiverServer;
let baseUrl: string;
/** What the server told of the requests it refused itself. */
const refusals: Refusal[] = [];

beforeAll(async () => {
  receiver = await startTestReceiver();
  server = createReceiverServer({
    handler: receiver.handler,
    maxBodyBytes: 512 * 1024,
    onRefusal: (refusal) => refusals.push(refusal),
  });
  const address = await server.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

/** Posts a body over HTTP and returns the status and parsed JSON answer. */
async function postHttp(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Sends raw bytes on a new TCP connection and returns everything the server answers. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the local receiver over HTTP', () => {
  it('stores hundreds of messages from every OpenIM version, 2 in flight, each once and intact', async () => {
    // GIVEN 50 messages per URL form and body version, and a second delivery of every 10th.
    const messages = OPENIM_VERSIONS.flatMap((version, v) =>
      Array.from({ length: 50 }, (_, i) => ({
        version,
        message: sampleMessage(10_000 + v * 100 + i),
      })),
    );
    const deliveries = [...messages, ...messages.filter((_, i) => i % 10 === 0)];

    // WHEN they are sent 2 at a time (OpenIM has 2 workers)
    const answers = await inParallel(deliveries, 2, ({ version, message }) =>
      postHttp(
        requestPath(message, version),
        encodeBody(message, version),
        requestHeaders(message),
      ),
    );

    // THEN
    expect(
      answers.every((a) => a.status === 200 && JSON.stringify(a.json) === JSON.stringify(SUCCESS)),
    ).toBe(true);
    const items = await receiver.items();
    const sentIds = new Set(messages.map(({ message }) => message.serverMsgID));
    const storedForThisTest = items.filter((item) => sentIds.has(item.serverMsgID as string));
    expect(storedForThisTest).toHaveLength(messages.length);
    for (const { version, message } of messages) {
      const stored = items.find((item) => item.serverMsgID === message.serverMsgID);
      expect(stored).toMatchObject(JSON.parse(encodeBody(message, version)));
    }
  });

  it('stores the reference v3.8 body byte for byte as curl would send it', async () => {
    const answer = await postHttp('/callbackAfterSendSingleMsgCommand', V38_EXAMPLE_BODY, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(answer).toEqual({ status: 200, json: SUCCESS });
    expect(await receiver.item('0b2676769e9eceb4983cb12966586f48')).toMatchObject(
      JSON.parse(V38_EXAMPLE_BODY),
    );
  });

  it.each([
    ['an unknown path', 'POST', '/callbackExample/other', 404],
    [
      'a trailing slash (API Gateway does not route it either)',
      'POST',
      '/callbackAfterSendSingleMsgCommand/',
      404,
    ],
    ['a GET', 'GET', '/callbackAfterSendSingleMsgCommand', 405],
  ])('answers %s in OpenIM shape', async (_what, method, path, status) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      ...(method === 'POST' ? { body: V38_EXAMPLE_BODY } : {}),
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ actionCode: 1, errCode: status, nextCode: 0 });
  });

  it('answers 413 to a body over the limit, and keeps serving', async () => {
    const huge = `{"content":"${'x'.repeat(600 * 1024)}"}`;

    const refused = await postHttp('/callbackAfterSendSingleMsgCommand', huge, {
      'content-type': 'application/json',
    });
    const next = await postHttp(
      '/callbackAfterSendSingleMsgCommand',
      encodeBody(sampleMessage(20_001), 'v3.8.1'),
      requestHeaders(sampleMessage(20_001)),
    );

    expect(refused.status).toBe(413);
    expect(refused.json).toMatchObject({ errCode: 413, errMsg: 'The request body is too large' });
    expect(next).toEqual({ status: 200, json: SUCCESS });
  });

  it('shrugs off a client that hangs up half way through a body, and keeps serving', async () => {
    // GIVEN a request that promises 2,000 bytes of body and sends 100 before the connection drops
    const port = Number(new URL(baseUrl).port);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /callbackAfterSendSingleMsgCommand HTTP/1.1\r\nHost: x\r\n' +
            'Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n' +
            '{'.padEnd(100, ' '),
          () => {
            socket.destroy();
            resolve();
          },
        );
      });
      socket.on('error', reject);
    });

    // WHEN the next message arrives
    const next = await postHttp(
      '/callbackAfterSendSingleMsgCommand',
      encodeBody(sampleMessage(20_003), 'v3.8.1'),
      requestHeaders(sampleMessage(20_003)),
    );

    // THEN it is stored as usual
    expect(next).toEqual({ status: 200, json: SUCCESS });
  });

  it("answers a body that never completes with a 408 in OpenIM's shape, well within OpenIM's 5 s, and tells of it", async () => {
    // GIVEN a request that promises 2,000 bytes of body, sends 100 and then nothing more
    const port = Number(new URL(baseUrl).port);
    const started = performance.now();

    // WHEN the server answers it
    const answer = await rawExchange(
      port,
      'POST /callbackAfterSendSingleMsgCommand HTTP/1.1\r\nHost: x\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n' +
        '{'.padEnd(100, ' '),
    );
    const elapsed = performance.now() - started;

    // THEN a timeout, as a timeout, in OpenIM's shape, after 3 s and before OpenIM gives up
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    const body = JSON.parse(answer.split('\r\n\r\n')[1] ?? '');
    expect(body).toEqual({
      actionCode: 1,
      errCode: 408,
      errMsg: 'The request body did not arrive in time',
      errDlt: expect.stringContaining('not complete 3000 ms after the headers'),
      nextCode: 0,
    });
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(4_500);
    // AND it was reported as a refusal, to be logged and counted
    expect(refusals).toContainEqual(expect.objectContaining({ statusCode: 408 }));

    // AND the server keeps serving
    const next = await postHttp(
      '/callbackAfterSendSingleMsgCommand',
      encodeBody(sampleMessage(20_004), 'v3.8.1'),
      requestHeaders(sampleMessage(20_004)),
    );
    expect(next).toEqual({ status: 200, json: SUCCESS });
  }, 10_000);

  it('answers headers that never complete with a 408 too, and tells of it', async () => {
    // GIVEN a server that waits 300 ms for headers
    const told: Refusal[] = [];
    const quick = createReceiverServer({
      handler: receiver.handler,
      headersTimeoutMs: 300,
      onRefusal: (refusal) => told.push(refusal),
    });
    const { port } = await quick.listen(0, '127.0.0.1');
    try {
      // WHEN a request line and half a header come, then nothing
      const answer = await rawExchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Ty');

      // THEN
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({
        actionCode: 1,
        errCode: 408,
        errMsg: 'The request did not arrive in time',
      });
      expect(told).toEqual([expect.objectContaining({ statusCode: 408 })]);
    } finally {
      await quick.close();
    }
  });

  it('tells of the requests it refuses before the handler: an unknown path, say', async () => {
    const before = refusals.length;

    await fetch(`${baseUrl}/nowhere`, { method: 'POST', body: '{}' });

    expect(refusals.slice(before)).toEqual([
      { statusCode: 404, errMsg: 'Not found', errDlt: 'no route for POST /nowhere' },
    ]);
  });

  it('answers malformed HTTP with a 400 in OpenIM shape, and keeps serving', async () => {
    const port = Number(new URL(baseUrl).port);

    const answer = await rawExchange(
      port,
      'POST /callbackAfterSendSingleMsgCommand HTTP/1.1\r\nContent-Length: abc\r\n\r\n',
    );
    const next = await postHttp(
      '/callbackAfterSendSingleMsgCommand',
      encodeBody(sampleMessage(20_002), 'v3.8.1'),
      requestHeaders(sampleMessage(20_002)),
    );

    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({
      actionCode: 1,
      errCode: 400,
    });
    expect(next).toEqual({ status: 200, json: SUCCESS });
  });
});

describe('stopping the local receiver', () => {
  it('answers and stores the requests in flight, then takes no more', async () => {
    // GIVEN a store that holds each write for 300 ms, so requests are in flight at close.
    let release!: () => void;
    const writing = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const slow = await startTestReceiver({
      wrapStore: (store): ArchiveStore => ({
        ...store,
        insertMessage: async (record) => {
          started += 1;
          if (started === 2) release();
          await new Promise((resolve) => setTimeout(resolve, 300));
          return store.insertMessage(record);
        },
      }),
    });
    const slowServer = createReceiverServer({ handler: slow.handler });
    const { port } = await slowServer.listen(0, '127.0.0.1');
    const messages = [sampleMessage(30_001), sampleMessage(30_002)];

    // WHEN two requests start; the server is told to stop while both are being stored.
    const inFlight = messages.map((m) =>
      fetch(`http://127.0.0.1:${port}/callbackAfterSendSingleMsgCommand`, {
        method: 'POST',
        headers: requestHeaders(m),
        body: encodeBody(m, 'v3.8.1'),
      }),
    );
    await writing;
    const closed = slowServer.close();
    const answers = await Promise.all(inFlight);
    await closed;

    // THEN
    for (const answer of answers) expect(await answer.json()).toEqual(SUCCESS);
    for (const m of messages) expect(await slow.item(m.serverMsgID)).toBeDefined();
    await expect(
      fetch(`http://127.0.0.1:${port}/callbackAfterSendSingleMsgCommand`, { method: 'POST' }),
    ).rejects.toThrow();
    await slow.close();
  });
});
