/**
 * The whole archive over HTTP, as OpenIM `main` delivers it to `npm start`: group messages, the
 * save-DB callback with the real seq in either order with the after-send callbacks, and revokes
 * before, after and at the same moment as the save-DB callback that carries their seq.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../support/http-receiver.ts';
import {
  COMMANDS,
  encodeBody,
  encodeGroupBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  mainRequestPath,
  type OpenImGroupMessage,
  type OpenImMessage,
  type OpenImVersion,
  requestHeaders,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import { inParallel } from '../support/send.ts';
import { SUCCESS } from '../support/test-receiver.ts';

let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** Posts `body` to `path` as Go's net/http does, and returns the answer. */
async function postRaw(url: string, path: string, body: string, operationID = '') {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Operationid: operationID },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Posts a group message's after-send callback as `version` does. */
function postGroup(url: string, message: OpenImGroupMessage, version: OpenImVersion) {
  const path =
    version === 'main'
      ? mainRequestPath(COMMANDS.group, message)
      : version === 'v3.0'
        ? `/?command=${COMMANDS.group}`
        : `/${COMMANDS.group}`;
  return postRaw(url, path, encodeGroupBody(message, version), message.operationID);
}

/** Posts a one-to-one message's after-send callback as OpenIM `main` does. */
function postSingle(url: string, message: OpenImMessage) {
  const response = fetch(`${url}${mainRequestPath(COMMANDS.single, message)}`, {
    method: 'POST',
    headers: requestHeaders(message),
    body: encodeBody(message, 'main'),
  });
  return response.then(async (r) => ({ status: r.status, json: await r.json() }));
}

/** Posts a message's save-DB callback with its real seq. */
function postSaveDb(url: string, message: OpenImMessage | OpenImGroupMessage, seq: number) {
  return postRaw(url, mainRequestPath(COMMANDS.saveDB, message), encodeSaveDbBody(message, seq));
}

/** Posts a revoke of a conversation's seq. */
function postRevoke(url: string, conversationID: string, seq: number, userID: string) {
  return postRaw(url, `/${COMMANDS.revoke}`, encodeRevokeBody({ conversationID, seq, userID }));
}

describe('group messages over HTTP', () => {
  it('stores hundreds of group messages, 2 in flight, once each, every field intact', async () => {
    // GIVEN 400 group messages in three groups, in the request forms of v3.0 to main
    receiver = await startHttpReceiver();
    const url = receiver.url;
    const versions: OpenImVersion[] = ['v3.0', 'v3.5', 'v3.7', 'v3.8.1', 'main'];
    const sent = Array.from({ length: 400 }, (_, i) => ({
      message: sampleGroupMessage(10_000 + i),
      version: versions[i % versions.length] as OpenImVersion,
    }));

    // WHEN OpenIM's two workers post them, each tenth one twice
    const answers = await inParallel(
      [...sent, ...sent.filter((_, i) => i % 10 === 0)],
      2,
      ({ message, version }) => postGroup(url, message, version),
    );

    // THEN every answer is success and each message is one record with every field it sent
    expect(answers.filter((a) => a.status !== 200 || a.json.actionCode !== 0)).toEqual([]);
    const items = await receiver.items();
    expect(items).toHaveLength(sent.length);
    for (const { message, version } of sent) {
      const item = items.find((i) => i.serverMsgID === message.serverMsgID);
      const body = JSON.parse(encodeGroupBody(message, version));
      expect(item).toMatchObject({ ...body, conversationID: `sg_${message.groupID}` });
      expect(item).not.toHaveProperty('recvID');
    }
  }, 120_000);
});

describe('the save-DB callback over HTTP', () => {
  it('ends in one record per message with the real seq, whichever callback comes first', async () => {
    // GIVEN one-to-one and group messages: some after-send first, some save-DB first, some
    // with no after-send at all (lost, or disabled), each with its real seq
    receiver = await startHttpReceiver();
    const url = receiver.url;
    const messages = Array.from({ length: 90 }, (_, i) => ({
      message: i % 2 === 0 ? sampleMessage(20_000 + i) : sampleGroupMessage(20_000 + i),
      seq: 100 + i,
      order: (['after-send first', 'save-DB first', 'save-DB only'] as const)[i % 3],
    }));
    const afterSend = (m: OpenImMessage | OpenImGroupMessage) =>
      'groupID' in m ? postGroup(url, m, 'main') : postSingle(url, m);

    // WHEN they arrive, 2 in flight
    const answers = await inParallel(messages, 2, async ({ message, seq, order }) => {
      if (order === 'after-send first')
        return [await afterSend(message), await postSaveDb(url, message, seq)];
      if (order === 'save-DB first')
        return [await postSaveDb(url, message, seq), await afterSend(message)];
      return [await postSaveDb(url, message, seq)];
    });

    // THEN all succeeded, and each message is one record with its real seq
    expect(answers.flat().filter((a) => a.status !== 200)).toEqual([]);
    const items = await receiver.items();
    expect(items).toHaveLength(messages.length);
    for (const { message, seq } of messages) {
      expect(items.find((i) => i.serverMsgID === message.serverMsgID)).toMatchObject({
        seq,
        content: message.content,
      });
    }
  }, 120_000);
});

describe('revokes over HTTP', () => {
  it('marks every revoked message, whether its revoke comes before, after or with its seq', async () => {
    // GIVEN group messages whose after-send is in, each to be revoked in one of three timings
    receiver = await startHttpReceiver();
    const url = receiver.url;
    const messages = Array.from({ length: 60 }, (_, i) => ({
      message: sampleGroupMessage(30_000 + i),
      seq: 1 + i,
      timing: (['before', 'after', 'together'] as const)[i % 3],
    }));
    for (const { message } of messages) await postGroup(url, message, 'main');

    // WHEN each revoke comes before its save-DB callback, after it, or at the same moment
    const answers = await inParallel(messages, 2, async ({ message, seq, timing }) => {
      const conversationID = `sg_${message.groupID}`;
      const revoke = () => postRevoke(url, conversationID, seq, message.sendID);
      if (timing === 'before') return [await revoke(), await postSaveDb(url, message, seq)];
      if (timing === 'after') return [await postSaveDb(url, message, seq), await revoke()];
      return Promise.all([postSaveDb(url, message, seq), revoke()]);
    });

    // THEN every answer is OpenIM's success, and every message is marked, content kept
    for (const answer of answers.flat()) expect(answer).toEqual({ status: 200, json: SUCCESS });
    const items = await receiver.items();
    for (const { message, seq } of messages) {
      expect(items.find((i) => i.serverMsgID === message.serverMsgID)).toMatchObject({
        seq,
        revokedBy: message.sendID,
        revokedAt: expect.any(Number),
        content: message.content,
      });
    }
  }, 120_000);
});
