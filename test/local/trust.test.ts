import { request } from 'node:http';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { replay, spoolSource } from '../../tools/fallback-replay.ts';
import { type HttpReceiver, startHttpReceiver } from '../support/http-receiver.ts';
import {
  basicAuthorization,
  encodeBody,
  requestHeaders,
  sampleMessage,
  V38_EXAMPLE_BODY,
} from '../support/openim-wire.ts';
import { inParallel } from '../support/send.ts';
import { SUCCESS } from '../support/test-receiver.ts';

const PATH = '/callbackAfterSendSingleMsgCommand';
const CREDENTIALS = { username: 'openim', password: 'p@ss:w0rd/é' };

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** Posts message `n` as OpenIM v3.8 does, optionally with a header set. */
async function deliver(url: string, n: number, headers: Record<string, string> = {}) {
  const message = sampleMessage(n);
  const response = await fetch(`${url}${PATH}`, {
    method: 'POST',
    headers: { ...requestHeaders(message), ...headers },
    body: encodeBody(message, 'v3.8.1'),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The Authorization header Go builds from URL userinfo. */
function basicHeader({ username, password }: typeof CREDENTIALS): Record<string, string> {
  return { Authorization: basicAuthorization(username, password) };
}

describe('credentials over HTTP', () => {
  it('lets in only OpenIM with the right credentials, and stores nothing for anyone else', async () => {
    // GIVEN a receiver that requires credentials
    receiver = await startHttpReceiver({ credentials: CREDENTIALS });

    // WHEN requests come with none, wrong ones, and the right ones
    const none = await deliver(receiver.url, 1);
    const wrong = await deliver(
      receiver.url,
      2,
      basicHeader({ ...CREDENTIALS, password: 'guess' }),
    );
    const right = await deliver(receiver.url, 3, basicHeader(CREDENTIALS));

    // THEN only the right ones are stored
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(none.json).toMatchObject({ actionCode: 1, errCode: 401, nextCode: 0 });
    expect(right).toEqual({ status: 200, json: SUCCESS });
    const stored = (await receiver.items()).map((item) => item.serverMsgID);
    expect(stored).toEqual([sampleMessage(3).serverMsgID]);
  });

  it("gets in with OpenIM's own form: credentials in the URL's userinfo, percent-encoded", async () => {
    receiver = await startHttpReceiver({ credentials: CREDENTIALS });
    const url = new URL(receiver.url);
    // webhooks.yml: url: http://openim:p%40ss%3Aw0rd%2F%C3%A9@host:port — as a Go client decodes it.
    const target = `http://openim:${encodeURIComponent(CREDENTIALS.password)}@${url.host}${PATH}`;

    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(target, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(V38_EXAMPLE_BODY);
    });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual(SUCCESS);
  });
});

describe('nothing lost, nothing doubled', () => {
  it('stores one record for many concurrent deliveries of one message, answering each with success', async () => {
    receiver = await startHttpReceiver();
    const url = receiver.url;

    const answers = await Promise.all(Array.from({ length: 32 }, () => deliver(url, 42)));

    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await receiver.items()).toHaveLength(1);
  });

  it('loses nothing when the store stops mid-stream: what failed is kept, and a replay stores it once', async () => {
    // GIVEN a receiver whose table writes give up quickly, so the test is short
    receiver = await startHttpReceiver({ deadlineMs: 400, maxAttempts: 2 });
    const r = receiver;
    const total = 300;
    let answered = 0;
    let stopped: Promise<void> | undefined;
    let restarted: Promise<void> | undefined;

    // WHEN the engine is stopped after a third of the messages and started again after two thirds
    const answers = await inParallel(
      Array.from({ length: total }, (_, i) => 50_000 + i),
      4,
      async (n) => {
        const answer = await deliver(r.url, n);
        answered += 1;
        if (answered === total / 3) stopped = r.stopEngine();
        if (answered === (2 * total) / 3) restarted = stopped?.then(() => r.startEngine());
        return answer;
      },
    );
    await restarted;

    // THEN every message was either stored or kept, and the answers say which
    const ok = answers.filter((a) => a.status === 200).length;
    const kept = answers.filter(
      (a) =>
        a.status === 503 &&
        a.json.errDlt === 'it was kept in the fallback and will be stored by a replay',
    ).length;
    expect(ok + kept).toBe(total);
    expect(kept).toBeGreaterThan(0);
    expect(await r.spooled()).toBe(kept);

    // WHEN the fallback is replayed
    const report = await replay(spoolSource(r.spoolDir), r.store);

    // THEN all N are stored exactly once, and the spool is empty
    const items = await r.items();
    expect(items).toHaveLength(total);
    expect(new Set(items.map((i) => i.serverMsgID)).size).toBe(total);
    expect(report.stored + report.alreadyStored).toBe(kept);
    expect(await r.spooled()).toBe(0);
    for (const item of items) {
      const n = Number.parseInt((item.serverMsgID as string).slice(1), 16);
      expect(item).toMatchObject(JSON.parse(encodeBody(sampleMessage(n), 'v3.8.1')));
    }
    console.info(
      `fault injection: ${total} sent, ${ok} stored at once, ${kept} kept in the fallback, ` +
        `${report.stored} stored by the replay (${report.alreadyStored} were already in), ${items.length} in the table`,
    );

    // AND a second replay finds nothing to do
    expect(await replay(spoolSource(r.spoolDir), r.store)).toEqual({
      stored: 0,
      alreadyStored: 0,
      skipped: [],
    });
  }, 120_000);

  it('rides out short throttling with retries and keeps messages through long throttling', async () => {
    // GIVEN a receiver whose DynamoDB client is throttled on demand (the engine cannot throttle)
    receiver = await startHttpReceiver({ deadlineMs: 1_000, maxAttempts: 5 });
    let throttledUntil = 0;
    receiver.client.middlewareStack.add(
      (next) => async (args) => {
        if (Date.now() < throttledUntil) {
          throw new ProvisionedThroughputExceededException({
            message: 'Rate exceeded',
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'injectThrottling' },
    );

    // WHEN throttling lasts 150 ms, THEN the SDK's retries store the message
    throttledUntil = Date.now() + 150;
    expect((await deliver(receiver.url, 60_001)).status).toBe(200);

    // WHEN throttling outlasts the deadline, THEN the message is kept, and replay stores it later
    throttledUntil = Date.now() + 5_000;
    const kept = await deliver(receiver.url, 60_002);
    expect(kept.status).toBe(503);
    expect(await receiver.spooled()).toBe(1);
    throttledUntil = 0;
    await replay(spoolSource(receiver.spoolDir), receiver.store);
    expect((await receiver.items()).map((i) => i.serverMsgID).sort()).toEqual(
      [sampleMessage(60_001).serverMsgID, sampleMessage(60_002).serverMsgID].sort(),
    );
  }, 30_000);

  it('stores exactly 10,000 records from 10,000 messages sent 32 at a time with 25% duplicates', async () => {
    receiver = await startHttpReceiver();
    const url = receiver.url;
    const unique = Array.from({ length: 10_000 }, (_, i) => 100_000 + i);
    const duplicates = unique.filter((_, i) => i % 4 === 0);
    // Interleave: each duplicate follows soon after its original, as a redelivery would.
    const deliveries = unique.flatMap((n, i) =>
      i % 4 === 0 ? [n, duplicates[i / 4 - 1] ?? n] : [n],
    );

    const answers = await inParallel(deliveries, 32, (n) => deliver(url, n));

    expect(deliveries).toHaveLength(12_500);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const items = await receiver.items();
    expect(items).toHaveLength(10_000);
    expect(new Set(items.map((i) => i.serverMsgID)).size).toBe(10_000);
  }, 300_000);
});

describe('the HTTP surface under fuzzing', () => {
  it('answers anything with OpenIM JSON, never a 5xx for a client error, and stores only valid messages', async () => {
    receiver = await startHttpReceiver({ credentials: CREDENTIALS });
    const r = receiver;
    const valid = encodeBody(sampleMessage(70_000), 'v3.8.1');
    const bodyArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .tuple(fc.nat(valid.length), fc.string({ maxLength: 5 }))
        .map(([at, s]) => valid.slice(0, at) + s + valid.slice(at)),
      fc.constant(valid),
    );
    const pathArb = fc.oneof(
      fc.constantFrom(
        '/',
        PATH,
        `${PATH}?contenttype=json`,
        '/?command=x',
        `/?command=${PATH.slice(1)}`,
        '/x/y',
        '//',
      ),
      fc.webPath(),
    );
    const headerValue = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode),
      maxLength: 40,
    });
    const headersArb = fc.record(
      {
        'Content-Type': fc.oneof(fc.constant('application/json; charset=utf-8'), headerValue),
        Authorization: fc.oneof(fc.constant(basicHeader(CREDENTIALS).Authorization), headerValue),
        'X-Extra': headerValue,
      },
      { requiredKeys: [] },
    );

    await fc.assert(
      fc.asyncProperty(
        pathArb,
        headersArb,
        bodyArb,
        fc.constantFrom('POST', 'PUT', 'GET'),
        async (path, headers, body, method) => {
          const before = (await r.items()).length;
          const response = await fetch(`${r.url}${path.startsWith('/') ? path : `/${path}`}`, {
            method,
            headers,
            ...(method === 'GET' ? {} : { body }),
          });
          const json = (await response.json()) as Record<string, unknown>;
          expect(Object.keys(json).sort()).toEqual([
            'actionCode',
            'errCode',
            'errDlt',
            'errMsg',
            'nextCode',
          ]);
          expect(response.status).toBeLessThan(500);
          if (response.status !== 200) expect((await r.items()).length).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});
