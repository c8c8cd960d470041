import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoArchiveStore } from '../../lambda/archive-store.ts';
import { createHandler } from '../../lambda/receiver.ts';
import { brokenMessageArb, extraFieldsArb, messageArb } from '../support/arbitraries.ts';
import { encodeBody, sampleMessage, V38_EXAMPLE_BODY } from '../support/openim-wire.ts';
import {
  post,
  quietLogger,
  SUCCESS,
  startTestReceiver,
  type TestReceiver,
} from '../support/test-receiver.ts';

const PATH = '/callbackAfterSendSingleMsgCommand';

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

describe('the receiver through its middy chain, storing in the local engine', () => {
  it('stores the real v3.8 body and answers exactly the success JSON', async () => {
    // WHEN
    const response = await post(receiver.handler, PATH, V38_EXAMPLE_BODY);

    // THEN
    expect(response).toEqual({ statusCode: 200, body: SUCCESS });
    const stored = await receiver.item('0b2676769e9eceb4983cb12966586f48');
    expect(stored).toMatchObject({
      ...JSON.parse(V38_EXAMPLE_BODY),
      conversationID: 'si_user_a_user_b',
    });
    expect(stored?.atUserList).toBeNull();
    expect(typeof stored?.receivedAt).toBe('number');
  });

  it('answers success to a repeated delivery and does not rewrite the record', async () => {
    const body = encodeBody(sampleMessage(1001), 'v3.8.1');
    await post(receiver.handler, PATH, body);
    const first = await receiver.item(sampleMessage(1001).serverMsgID);

    const again = await post(receiver.handler, PATH, body.replace('"ex":""', '"ex":"changed"'));

    expect(again).toEqual({ statusCode: 200, body: SUCCESS });
    expect(await receiver.item(sampleMessage(1001).serverMsgID)).toEqual(first);
  });

  it('treats seq as no part of identity: two messages with seq 0 are two records', async () => {
    const a = sampleMessage(1002, { seq: 0 });
    const b = sampleMessage(1003, { seq: 0 });

    await post(receiver.handler, PATH, encodeBody(a, 'v3.8.1'));
    await post(receiver.handler, PATH, encodeBody(b, 'v3.8.1'));

    expect(await receiver.item(a.serverMsgID)).toBeDefined();
    expect(await receiver.item(b.serverMsgID)).toBeDefined();
  });

  it.each([
    ['not JSON', 'hello', 422],
    ['truncated JSON', '{"sendID":', 422],
    ['empty body', '', 422],
    ['a __proto__ key', V38_EXAMPLE_BODY.replace('{', '{"__proto__":{"polluted":true},'), 422],
    ['a nested __proto__ key', V38_EXAMPLE_BODY.replace('{', '{"ext":{"__proto__":{"x":1}},'), 422],
    [
      'a constructor.prototype key',
      V38_EXAMPLE_BODY.replace('{', '{"constructor":{"prototype":{}},'),
      422,
    ],
    ['deeply nested JSON', `{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 422],
    ['a JSON array', '[1,2]', 400],
    ['wrong types', V38_EXAMPLE_BODY.replace('"seq":0', '"seq":"0"'), 400],
    ['an empty sendID', V38_EXAMPLE_BODY.replace('"sendID":"user_a"', '"sendID":""'), 400],
    [
      'a huge ID',
      V38_EXAMPLE_BODY.replace('"recvID":"user_b"', `"recvID":"${'b'.repeat(100_000)}"`),
      400,
    ],
  ])('refuses %s with a 4xx in OpenIM shape, storing nothing', async (_what, body, status) => {
    // GIVEN
    const before = (await receiver.items()).length;

    // WHEN
    const response = await post(receiver.handler, PATH, body);

    // THEN
    expect(response.statusCode).toBe(status);
    expect(response.body).toEqual({
      actionCode: 1,
      errCode: status,
      errMsg: expect.any(String),
      errDlt: expect.any(String),
      nextCode: 0,
    });
    expect(response.body.errMsg).not.toBe('');
    expect((await receiver.items()).length).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the offending fields in errDlt', async () => {
    const body = V38_EXAMPLE_BODY.replace('"seq":0', '"seq":"0"').replace(
      '"sendID":"user_a"',
      '"sendID":""',
    );

    const response = await post(receiver.handler, PATH, body);

    expect(response.body.errDlt).toBe('sendID: must not be empty; seq: must be a number');
  });

  it('answers 415 to a body that is not declared as JSON', async () => {
    const response = await post(receiver.handler, PATH, V38_EXAMPLE_BODY, {
      'content-type': 'text/plain',
    });
    expect(response.statusCode).toBe(415);
    expect(response.body.errDlt).toBe('Content-Type must be application/json');
  });

  it('answers 400 when the path and the body name different commands', async () => {
    const response = await post(
      receiver.handler,
      '/callbackAfterSendGroupMsgCommand',
      V38_EXAMPLE_BODY,
    );
    expect(response.statusCode).toBe(400);
    expect(response.body.errDlt).toBe('command sources disagree: path, body');
  });

  it('answers 404 to a command it does not serve', async () => {
    // Read receipts are OpenIM callbacks this receiver does not store.
    const body = V38_EXAMPLE_BODY.replace(
      '"callbackCommand":"callbackAfterSendSingleMsgCommand"',
      '"callbackCommand":"callbackAfterSingleMsgReadCommand"',
    );
    const response = await post(
      receiver.handler,
      '/?command=callbackAfterSingleMsgReadCommand',
      body,
    );
    expect(response.statusCode).toBe(404);
  });

  it('stores a 300 KB message, and refuses with 413 one that cannot fit in an item', async () => {
    const big = sampleMessage(1004, { content: 'x'.repeat(300 * 1024) });
    const tooBig = sampleMessage(1005, {
      content: 'x'.repeat(300 * 1024),
      ex: 'y'.repeat(120 * 1024),
    });

    const stored = await post(receiver.handler, PATH, encodeBody(big, 'v3.8.1'));
    const refused = await post(receiver.handler, PATH, encodeBody(tooBig, 'v3.8.1'));

    expect(stored).toEqual({ statusCode: 200, body: SUCCESS });
    expect((await receiver.item(big.serverMsgID))?.content).toBe(big.content);
    expect(refused.statusCode).toBe(413);
    expect(refused.body.errDlt).toMatch(
      /^largest fields: content \(307200 bytes\), ex \(122880 bytes\)/,
    );
    expect(await receiver.item(tooBig.serverMsgID)).toBeUndefined();
  });

  it.each([
    ['content', 1024 * 1024],
    ['senderNickname', 500 * 1024],
    ['ex', 401 * 1024],
  ])(
    'answers 413, not 400, whichever field makes a message too big: %s of %i bytes',
    async (field, bytes) => {
      const message = sampleMessage(1009, { [field]: 'x'.repeat(bytes) });

      const response = await post(receiver.handler, PATH, encodeBody(message, 'v3.8.1'));

      expect(response.statusCode).toBe(413);
      expect(response.body.errDlt).toMatch(
        new RegExp(`^largest fields: ${field} \\(${bytes} bytes\\)`),
      );
      expect(await receiver.item(message.serverMsgID)).toBeUndefined();
    },
  );

  it.each([
    ['not JSON', 'hello', 'the body is not valid JSON'],
    ['truncated JSON', '{"sendID":', 'the body is not valid JSON'],
    [
      'a __proto__ key',
      V38_EXAMPLE_BODY.replace('{', '{"__proto__":{"polluted":true},'),
      'the body has a __proto__ or constructor.prototype key, which is refused',
    ],
  ])('tells a body that is %s exactly what is wrong with it', async (_what, body, errDlt) => {
    const response = await post(receiver.handler, PATH, body);

    expect(response.statusCode).toBe(422);
    expect(response.body.errDlt).toBe(errDlt);
  });

  it('stores whatever fits by its own size estimate, right up to the item limit', async () => {
    // The estimate must never be below DynamoDB's count: fill an item to the estimate's limit.
    const base = sampleMessage(1006, { content: '' });
    const { recordSizeBytes, MAX_RECORD_BYTES } = await import('../../lambda/message-record.ts');
    const { afterSendSingleMsg } = await import('../../lambda/callbacks/after-send-single-msg.ts');
    const room =
      MAX_RECORD_BYTES -
      recordSizeBytes(afterSendSingleMsg.toRecord(base as never, { receivedAt: Date.now() }));
    const full = { ...base, content: 'é'.repeat(Math.floor(room / 2)) };

    const response = await post(receiver.handler, PATH, encodeBody(full, 'v3.8.1'));

    expect(response).toEqual({ statusCode: 200, body: SUCCESS });
  });

  it('answers 503 in OpenIM shape, without internals, when storage fails', async () => {
    // GIVEN a store whose table does not exist, so the real engine fails the write
    const handler = createHandler({
      store: createDynamoArchiveStore({
        client: receiver.engine.client,
        tables: { messages: 'no-such-table', seqs: 'no-such-table' },
      }),
      logger: quietLogger(),
    });

    // WHEN
    const response = await post(handler, PATH, V38_EXAMPLE_BODY);

    // THEN
    expect(response).toEqual({
      statusCode: 503,
      body: {
        actionCode: 1,
        errCode: 503,
        errMsg: 'The message could not be stored',
        errDlt: 'storage is unavailable',
        nextCode: 0,
      },
    });
  });

  it('answers 503 saying the message was not kept when the store and the fallback both fail', async () => {
    const handler = createHandler({
      store: createDynamoArchiveStore({
        client: receiver.engine.client,
        tables: { messages: 'no-such-table', seqs: 'no-such-table' },
      }),
      fallback: { keep: () => Promise.reject(new Error('disk full')) },
      logger: quietLogger(),
    });

    const response = await post(handler, PATH, V38_EXAMPLE_BODY);

    expect(response.statusCode).toBe(503);
    expect(response.body.errDlt).toBe('storage is unavailable');
  });

  it('answers 500 in OpenIM shape, with no stack or raw error, when something unexpected throws', async () => {
    const handler = createHandler({
      store: {
        ...receiver.store,
        insertMessage: () => {
          throw new TypeError('secret internals at /var/task/index.mjs:1');
        },
      },
      logger: quietLogger(),
      now: () => {
        throw new Error('clock exploded: /var/task');
      },
    });

    const response = await post(handler, PATH, V38_EXAMPLE_BODY);

    expect(response.statusCode).toBe(500);
    expect(response.body).toEqual({
      actionCode: 1,
      errCode: 500,
      errMsg: 'Internal error',
      errDlt: 'the receiver failed; the message was not stored',
      nextCode: 0,
    });
  });

  it('never writes message content into a log line, whatever happens', async () => {
    // GIVEN a logger whose every line is captured
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
    const logged = await startTestReceiver({ logger });
    const secret = 'SECRET-CONTENT-d41d8cd98f';
    const message = sampleMessage(1007, { content: secret, senderNickname: secret, ex: secret });

    try {
      // WHEN a stored message, a duplicate, a refusal and a storage failure.
      await post(logged.handler, PATH, encodeBody(message, 'v3.8.1'));
      await post(logged.handler, PATH, encodeBody(message, 'v3.8.1'));
      await post(logged.handler, PATH, encodeBody({ ...message, seq: -1 }, 'v3.8.1'));
      await post(logged.handler, PATH, `{"content":"${secret}",`);
      await logged.close();
      await post(
        logged.handler,
        PATH,
        encodeBody(sampleMessage(1008, { content: secret }), 'v3.8.1'),
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    // THEN the flow was logged, with IDs, and the content never was.
    const output = lines.join('');
    expect(output).toContain('"message":"Message stored"');
    expect(output).toContain('"message":"Duplicate delivery; already stored"');
    expect(output).toContain(`"serverMsgID":"${message.serverMsgID}"`);
    expect(output).toContain('"message":"Storing the message failed"');
    expect(output).not.toContain(secret);
  });

  it('stores any valid message with every field equal to the sent one', async () => {
    await fc.assert(
      fc.asyncProperty(messageArb, extraFieldsArb, async (generated, extra) => {
        // A fresh identity per run, so that two runs never collide on serverMsgID.
        const message = { ...generated, serverMsgID: `${randomUUID()}${generated.serverMsgID}` };
        const body = encodeBody(message, message.sendTime === undefined ? 'v3.7' : 'v3.8.1', extra);
        const sent = JSON.parse(body);

        const response = await post(receiver.handler, PATH, body);

        expect(response).toEqual({ statusCode: 200, body: SUCCESS });
        const stored = await receiver.item(message.serverMsgID);
        const { toCallbackBody } = await import('../support/records.ts');
        const { SINGLE_MSG_FIELDS } = await import(
          '../../lambda/callbacks/after-send-single-msg.ts'
        );
        expect(toCallbackBody(stored ?? {}, SINGLE_MSG_FIELDS)).toEqual(sent);
        for (const [field, value] of Object.entries(sent)) {
          if (!(field in extra)) expect(stored?.[field]).toEqual(value);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses any invalid message with a 4xx and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(brokenMessageArb, async ({ body }) => {
        const id = typeof body.serverMsgID === 'string' ? body.serverMsgID : undefined;
        const before = id && Buffer.byteLength(id) <= 1024 ? await receiver.item(id) : undefined;

        const response = await post(receiver.handler, PATH, JSON.stringify(body));

        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.body.actionCode).toBe(1);
        if (id && Buffer.byteLength(id) <= 1024) expect(await receiver.item(id)).toEqual(before);
      }),
      { numRuns: 60 },
    );
  });
});
