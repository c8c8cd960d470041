/**
 * The fake OpenIM follows `openim-rest-api.md`: each test drives it over HTTP with plain `fetch`,
 * as a reconciling client would, and checks what the reference says the server answers.
 */
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from './child.ts';
import {
  type FakeOpenIm,
  type OpenImVariant,
  type RecordedRequest,
  seedDemo,
  startFakeOpenIm,
} from './fake-openim.ts';
import { signToken } from './fake-openim-auth.ts';
import { idHash } from './fake-openim-routes.ts';
import { V38_EXAMPLE_BODY } from './openim-wire.ts';

/** 2025-05-09T12:00:00Z, the fake's clock at start. */
const T0 = Date.UTC(2025, 4, 9, 12);
const VARIANTS: OpenImVariant[] = ['v3.8.3', 'main'];

const started: FakeOpenIm[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((fake) => fake.close()));
});

/** A fake on a free port whose clock only moves when the test says so. */
async function start(variant: OpenImVariant) {
  let clock = T0;
  const fake = await startFakeOpenIm({ variant, now: () => clock });
  started.push(fake);
  return {
    fake,
    model: fake.model,
    tick(ms: number) {
      clock += ms;
    },
  };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the envelope's data freely
  json: any;
}

/** POSTs a body (a value, or raw text) with the headers OpenIM wants. */
async function call(
  fake: FakeOpenIm,
  path: string,
  body: unknown,
  options: { token?: string; operationID?: string | null; method?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.operationID !== null) headers.operationID = options.operationID ?? 'op-test';
  if (options.token) headers.token = options.token;
  const res = await fetch(`${fake.url}${path}`, {
    method: options.method ?? 'POST',
    headers,
    ...(options.method === 'GET'
      ? {}
      : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function adminToken(fake: FakeOpenIm): Promise<string> {
  const answer = await call(fake, '/auth/get_admin_token', {
    secret: 'openIM123',
    userID: 'imAdmin',
  });
  expect(answer.json.errCode).toBe(0);
  return answer.json.data.token as string;
}

function decode(base64: string | null): string | null {
  return base64 === null ? null : Buffer.from(base64, 'base64').toString('utf8');
}

/** Pulls one range for `userID` and returns the `data` object. */
async function pull(
  fake: FakeOpenIm,
  token: string,
  userID: string,
  ranges: { conversationID: string; begin: number; end: number; num: number }[],
  order = 0,
) {
  const answer = await call(
    fake,
    '/msg/pull_msg_by_seq',
    { userID, seqRanges: ranges, order },
    { token },
  );
  expect(answer.json.errCode).toBe(0);
  return answer.json.data;
}

function seqsOf(pulled: { Msgs: { seq: number }[] } | undefined): number[] {
  return (pulled?.Msgs ?? []).map((m) => m.seq);
}

/** u1 (Alice) and u2 (Bob) exchange `count` texts in `si_u1_u2`, a second apart. */
function chat(fake: FakeOpenIm, count: number, from = 1) {
  const { model } = fake;
  if (!model.user('u1')) model.addUser({ userID: 'u1', nickname: 'Alice' });
  if (!model.user('u2')) model.addUser({ userID: 'u2', nickname: 'Bob' });
  for (let i = from; i < from + count; i++) {
    model.sendMessage({
      sendID: i % 2 ? 'u1' : 'u2',
      recvID: i % 2 ? 'u2' : 'u1',
      content: JSON.stringify({ content: `m${i}` }),
      sendTime: T0 + i * 1000,
    });
  }
}

const range = (conversationID: string, begin: number, end: number, num = 100) => ({
  conversationID,
  begin,
  end,
  num,
});

describe('admin token (§2)', () => {
  it('issues an HS256 JWT with OpenIM claims and a duration, and parses back its absolute expiry', async () => {
    const { fake } = await start('v3.8.3');
    const answer = await call(fake, '/auth/get_admin_token', {
      secret: 'openIM123',
      userID: 'imAdmin',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.data.expireTimeSeconds).toBe(7_776_000);
    const token: string = answer.json.data.token;
    const [header = '', claims = '', signature = ''] = token.split('.');
    const seconds = Math.floor(T0 / 1000);
    expect(Buffer.from(header, 'base64url').toString()).toBe('{"alg":"HS256","typ":"JWT"}');
    expect(Buffer.from(claims, 'base64url').toString()).toBe(
      `{"UserID":"imAdmin","PlatformID":10,"exp":${seconds + 7_776_000},"iat":${seconds - 5}}`,
    );
    expect(signature).toBe(
      createHmac('sha256', 'openIM123').update(`${header}.${claims}`).digest('base64url'),
    );
    const parsed = await call(fake, '/auth/parse_token', { token });
    expect(parsed.text).toBe(
      `{"errCode":0,"errMsg":"","errDlt":"","data":{"userID":"imAdmin","platformID":10,"expireTimeSeconds":${seconds + 7_776_000}}}`,
    );
  });

  it('refuses a wrong secret (1002), a non-admin userID (1001) and missing headers (1001), with HTTP 200', async () => {
    const { fake } = await start('v3.8.3');
    const wrong = await call(fake, '/auth/get_admin_token', { secret: 'nope', userID: 'imAdmin' });
    expect([wrong.status, wrong.text]).toEqual([
      200,
      '{"errCode":1002,"errMsg":"NoPermissionError","errDlt":"secret invalid"}',
    ]);
    const user = await call(fake, '/auth/get_admin_token', {
      secret: 'openIM123',
      userID: 'user_a',
    });
    expect(user.text).toBe(
      '{"errCode":1001,"errMsg":"ArgsError","errDlt":"userID is error., userID=user_a, adminUserID=[imAdmin]"}',
    );
    const empty = await call(fake, '/auth/get_admin_token', { secret: 'openIM123' });
    expect(empty.json).toEqual({ errCode: 1001, errMsg: 'ArgsError', errDlt: 'userID is empty' });
    const noOperation = await call(
      fake,
      '/auth/get_admin_token',
      { secret: 'openIM123', userID: 'imAdmin' },
      { operationID: null },
    );
    expect(noOperation.text).toBe(
      '{"errCode":1001,"errMsg":"ArgsError","errDlt":"header must have operationID"}',
    );
    const noToken = await call(fake, '/msg/newest_seq', { userID: 'imAdmin' });
    expect(noToken.text).toBe(
      '{"errCode":1001,"errMsg":"ArgsError","errDlt":"header must have token"}',
    );
  });

  it('answers bad tokens with 1501, 1503, 1505, 1506 and 1507', async () => {
    const { fake, model, tick } = await start('v3.8.3');
    model.addUser({ userID: 'u1' });
    const admin = await adminToken(fake);
    const codeFor = async (token: string) =>
      (await call(fake, '/msg/newest_seq', { userID: 'u1' }, { token })).json;
    expect((await codeFor('not.a-jwt')).errCode).toBe(1503);
    expect((await codeFor('only-one-part')).errMsg).toBe('TokenMalformedError');
    const forged = signToken({ UserID: 'imAdmin', PlatformID: 10, exp: 2e9 }, 'other-secret');
    expect(await codeFor(forged)).toMatchObject({ errCode: 1505, errMsg: 'signature is invalid' });
    // A valid signature, but a user token the server never issued (stored) does not exist.
    const unissued = signToken({ UserID: 'u1', PlatformID: 1, exp: 2e9 }, 'openIM123');
    expect(await codeFor(unissued)).toEqual({
      errCode: 1507,
      errMsg: 'TokenNotExistError',
      errDlt: 'TokenNotExistError',
    });
    const early = signToken({ UserID: 'imAdmin', PlatformID: 10, nbf: 2e9 }, 'openIM123');
    expect(await codeFor(early)).toMatchObject({ errCode: 1504, errMsg: 'TokenNotValidYetError' });
    const userToken = fake.userToken('u1');
    expect((await codeFor(userToken)).errCode).toBe(0);
    fake.kick('u1');
    expect((await codeFor(userToken)).errCode).toBe(1506);
    tick(91 * 24 * 3600 * 1000);
    expect(await codeFor(admin)).toMatchObject({ errCode: 1501, errMsg: 'TokenExpiredError' });
  });

  it('keeps every admin token valid on v3.8.3, but a new one kills the old after 5 minutes on main (1507)', async () => {
    for (const variant of VARIANTS) {
      const { fake, model, tick } = await start(variant);
      model.addUser({ userID: 'u1' });
      const ok = async (token: string) =>
        (await call(fake, '/msg/newest_seq', { userID: 'u1' }, { token })).json.errCode;
      const first = await adminToken(fake);
      tick(10_000);
      const second = await adminToken(fake);
      expect(second).not.toBe(first);
      tick(4 * 60_000 + 59_000);
      expect([await ok(first), await ok(second)]).toEqual([0, 0]);
      tick(1_000);
      expect([variant, await ok(first), await ok(second)]).toEqual([
        variant,
        variant === 'main' ? 1507 : 0,
        0,
      ]);
    }
  });
});

describe('pull_msg_by_seq (§4)', () => {
  /** §4.4's example: seq 6 text, seq 7 revoked, seq 8 physically deleted. */
  function exampleConversation(fake: FakeOpenIm) {
    const { model } = fake;
    model.addUser({ userID: 'u1', nickname: 'Alice' });
    model.addUser({ userID: 'u2', nickname: 'Bob' });
    for (let i = 1; i <= 5; i++) {
      model.sendMessage({
        sendID: 'u2',
        recvID: 'u1',
        content: '{"content":"x"}',
        sendTime: 1_699_999_900_000 + i,
      });
    }
    const base = { sendID: 'u1', recvID: 'u2' };
    model.sendMessage({
      ...base,
      clientMsgID: 'c6',
      serverMsgID: 's6',
      content: '{"content":"hello"}',
      sendTime: 1_699_999_990_000,
      createTime: 1_699_999_989_990,
      options: { history: true },
      offlinePushInfo: { title: '', desc: '', ex: '', iOSPushSound: '', iOSBadgeCount: false },
    });
    model.sendMessage({
      ...base,
      clientMsgID: 'c7',
      serverMsgID: 's7',
      content: '{"content":"oops"}',
      sendTime: 1_700_000_000_000,
      createTime: 1_699_999_999_990,
    });
    model.sendMessage({ ...base, content: '{"content":"gone"}', sendTime: 1_700_000_050_000 });
    model.markRead('si_u1_u2', [6]);
    model.revoke({ conversationID: 'si_u1_u2', seq: 7, userID: 'u1', time: 1_700_000_100_000 });
    model.deletePhysically('si_u1_u2', [8]);
  }

  // The reference's example response (v3.8.3-patch.16), byte for byte.
  const EXAMPLE =
    '{"errCode":0,"errMsg":"","errDlt":"","data":{"msgs":{"si_u1_u2":{"Msgs":[{"sendID":"u1","recvID":"u2","groupID":"","clientMsgID":"c6","serverMsgID":"s6","senderPlatformID":5,"senderNickname":"Alice","senderFaceURL":"","sessionType":1,"msgFrom":100,"contentType":101,"content":"eyJjb250ZW50IjoiaGVsbG8ifQ==","seq":6,"sendTime":1699999990000,"createTime":1699999989990,"status":2,"isRead":true,"options":{"history":true},"offlinePushInfo":{"title":"","desc":"","ex":"","iOSPushSound":"","iOSBadgeCount":false,"signalInfo":""},"atUserIDList":null,"attachedInfo":"","ex":""},{"sendID":"u1","recvID":"u2","groupID":"","clientMsgID":"c7","serverMsgID":"s7","senderPlatformID":5,"senderNickname":"Alice","senderFaceURL":"","sessionType":1,"msgFrom":100,"contentType":2101,"content":"eyJkZXRhaWwiOiJ7XCJyZXZva2VySURcIjpcInUxXCIsXCJyZXZva2VyUm9sZVwiOjAsXCJjbGllbnRNc2dJRFwiOlwiYzdcIixcInJldm9rZXJOaWNrbmFtZVwiOlwiQWxpY2VcIixcInJldm9rZVRpbWVcIjoxNzAwMDAwMTAwMDAwLFwic291cmNlTWVzc2FnZVNlbmRUaW1lXCI6MTcwMDAwMDAwMDAwMCxcInNvdXJjZU1lc3NhZ2VTZW5kSURcIjpcInUxXCIsXCJzb3VyY2VNZXNzYWdlU2VuZGVyTmlja25hbWVcIjpcIkFsaWNlXCIsXCJzZXNzaW9uVHlwZVwiOjEsXCJzZXFcIjo3LFwiZXhcIjpcIlwifSJ9","seq":7,"sendTime":1700000000000,"createTime":1699999999990,"status":2,"isRead":false,"options":null,"offlinePushInfo":null,"atUserIDList":null,"attachedInfo":"","ex":""},{"sendID":"","recvID":"","groupID":"","clientMsgID":"","serverMsgID":"","senderPlatformID":0,"senderNickname":"","senderFaceURL":"","sessionType":0,"msgFrom":0,"contentType":0,"content":null,"seq":8,"sendTime":1700000000000,"createTime":0,"status":4,"isRead":false,"options":null,"offlinePushInfo":null,"atUserIDList":null,"attachedInfo":"","ex":""}],"isEnd":true,"endSeq":0}},"notificationMsgs":null}}';

  it.each(VARIANTS)('reproduces the §4.4 example byte for byte (%s)', async (variant) => {
    const { fake } = await start(variant);
    exampleConversation(fake);
    const token = await adminToken(fake);
    const answer = await call(
      fake,
      '/msg/pull_msg_by_seq',
      { userID: 'u1', seqRanges: [range('si_u1_u2', 6, 8, 3)], order: 0 },
      { token },
    );
    // main (protocol alpha.18) omits empty maps: the nil options and the empty notificationMsgs.
    const expected =
      variant === 'v3.8.3'
        ? EXAMPLE
        : EXAMPLE.replaceAll('"options":null,', '').replace(',"notificationMsgs":null', '');
    expect(answer.text).toBe(expected);
  });

  it('returns only the last num seqs of a longer range, ascending, whatever the order', async () => {
    const { fake } = await start('v3.8.3');
    chat(fake, 9);
    const token = await adminToken(fake);
    const asc = await pull(fake, token, 'u1', [range('si_u1_u2', 1, 9, 3)], 0);
    expect([seqsOf(asc.msgs.si_u1_u2), asc.msgs.si_u1_u2.isEnd]).toEqual([[7, 8, 9], true]);
    const desc = await pull(fake, token, 'u1', [range('si_u1_u2', 1, 9, 3)], 1);
    expect([seqsOf(desc.msgs.si_u1_u2), desc.msgs.si_u1_u2.isEnd]).toEqual([[7, 8, 9], false]);
    const head = await pull(fake, token, 'u1', [range('si_u1_u2', 1, 5, 3)]);
    expect([seqsOf(head.msgs.si_u1_u2), head.msgs.si_u1_u2.isEnd]).toEqual([[3, 4, 5], false]);
    const descFromZero = await pull(fake, token, 'u1', [range('si_u1_u2', 0, 2, 2)], 1);
    expect(descFromZero.msgs.si_u1_u2.isEnd).toBe(true);
    const none = await call(
      fake,
      '/msg/pull_msg_by_seq',
      { userID: 'u1', seqRanges: [range('si_u1_u2', 1, 9, 0)] },
      { token },
    );
    expect(none.json.data).toEqual({ msgs: null, notificationMsgs: null });
  });

  it.each(VARIANTS)(
    'silently skips a range the userID holds no record of (%s)',
    async (variant) => {
      const { fake, model } = await start(variant);
      chat(fake, 3);
      model.addUser({ userID: 'u3' });
      const token = await adminToken(fake);
      const answer = await call(
        fake,
        '/msg/pull_msg_by_seq',
        { userID: 'u3', seqRanges: [range('si_u1_u2', 1, 3)] },
        { token },
      );
      expect(answer.text).toBe(
        `{"errCode":0,"errMsg":"","errDlt":"","data":${variant === 'main' ? '{}' : '{"msgs":null,"notificationMsgs":null}'}}`,
      );
      const admin = await pull(fake, token, 'imAdmin', [range('si_u1_u2', 1, 3)]);
      expect(admin.msgs ?? {}).toEqual({});
    },
  );

  it('clamps to the user and conversation min seqs and to the leave cap', async () => {
    const { fake, model } = await start('v3.8.3');
    for (const userID of ['a', 'b', 'c']) model.addUser({ userID });
    model.createGroup({ groupID: 'g1', ownerUserID: 'a', memberUserIDs: ['b', 'c'] });
    const say = (n: number) =>
      model.sendMessage({
        sendID: 'a',
        groupID: 'g1',
        content: `{"content":"${n}"}`,
        sendTime: T0 + n,
      });
    for (let n = 1; n <= 4; n++) say(n);
    model.leaveGroup('g1', 'c');
    model.addUser({ userID: 'd' });
    model.addMember('g1', 'd', { history: false }); // enableHistoryForNewMembers: false
    say(5);
    model.clearHistory('sg_g1', 'b');
    say(6);
    const token = await adminToken(fake);
    const all = [range('sg_g1', 1, 100)];
    expect(seqsOf((await pull(fake, token, 'a', all)).msgs.sg_g1)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqsOf((await pull(fake, token, 'b', all)).msgs.sg_g1)).toEqual([6]);
    expect(seqsOf((await pull(fake, token, 'd', all)).msgs.sg_g1)).toEqual([5, 6]);
    const left = (await pull(fake, token, 'c', all)).msgs.sg_g1;
    expect([seqsOf(left), left.isEnd]).toEqual([[1, 2, 3, 4], true]);
    // The cap is on c's record; newest_seq still reports the conversation-wide max.
    const records = await call(
      fake,
      '/conversation/get_all_conversations',
      { ownerUserID: 'c' },
      { token },
    );
    expect(records.json.data.conversations[0]).toMatchObject({
      conversationID: 'sg_g1',
      maxSeq: 4,
    });
    const hasRead = await call(
      fake,
      '/msg/get_conversations_has_read_and_max_seq',
      { userID: 'c' },
      { token },
    );
    expect(hasRead.json.data.seqs.sg_g1).toEqual({ maxSeq: 4, hasReadSeq: 0, maxSeqTime: T0 + 6 });
    const newest = await call(fake, '/msg/newest_seq', { userID: 'c' }, { token });
    expect(newest.json.data.maxSeqs).toEqual({ sg_g1: 6 });
    // Cleared for everyone: the conversation min seq passes seq 6 for every member.
    model.clearForEveryone('sg_g1', 'a');
    say(7);
    say(8);
    expect(seqsOf((await pull(fake, token, 'a', all)).msgs.sg_g1)).toEqual([7, 8]);
    expect(seqsOf((await pull(fake, token, 'a', [range('sg_g1', 1, 7)])).msgs.sg_g1)).toEqual([7]);
    // Retention: the only block goes, and with it every seq.
    chat(fake, 3);
    model.cutRetention('si_u1_u2');
    expect(model.conversationSeqs('si_u1_u2').minSeq).toBe(4);
    expect((await pull(fake, token, 'u1', [range('si_u1_u2', 1, 3)])).msgs).toBeNull();
    expect(model.messages('si_u1_u2').map((m) => m.state)).toEqual(
      Array(3).fill('retentionDeleted'),
    );
  });

  it('shows per-user deletion (status 4, content null) to that user only, and placeholders to all', async () => {
    const { fake, model } = await start('v3.8.3');
    chat(fake, 5);
    model.deleteForUser('si_u1_u2', 'u1', [3]);
    model.deletePhysically('si_u1_u2', [4]);
    const token = await adminToken(fake);
    const mine = (await pull(fake, token, 'u1', [range('si_u1_u2', 1, 5)])).msgs.si_u1_u2.Msgs;
    const theirs = (await pull(fake, token, 'u2', [range('si_u1_u2', 1, 5)])).msgs.si_u1_u2.Msgs;
    const original = model.message('si_u1_u2', 3)?.msg;
    expect(mine[2]).toMatchObject({
      seq: 3,
      status: 4,
      content: null,
      contentType: 101,
      sendID: 'u1',
      serverMsgID: original?.serverMsgID,
    });
    expect(theirs[2]).toMatchObject({ seq: 3, status: 2, contentType: 101 });
    expect(decode(theirs[2].content)).toBe('{"content":"m3"}');
    for (const msgs of [mine, theirs]) {
      expect(msgs[3]).toMatchObject({
        seq: 4,
        status: 4,
        sendID: '',
        serverMsgID: '',
        content: null,
        contentType: 0,
        createTime: 0,
        sendTime: T0 + 3000, // borrowed from seq 3, the nearest earlier message
      });
    }
    expect(model.messages('si_u1_u2').map((m) => [m.seq, m.state, m.deletedFor])).toEqual([
      [1, 'stored', []],
      [2, 'stored', []],
      [3, 'stored', ['u1']],
      [4, 'physicallyDeleted', []],
      [5, 'stored', []],
    ]);
  });

  it('revokes in place with the MessageRevokedContent detail, and notifies the chat`s n_ conversation', async () => {
    const { fake, model } = await start('v3.8.3');
    chat(fake, 1);
    const sent = model.message('si_u1_u2', 1)?.msg;
    model.revoke({ conversationID: 'si_u1_u2', seq: 1, userID: 'u1', time: T0 + 60_000 });
    const token = await adminToken(fake);
    const data = await pull(fake, token, 'u2', [
      range('si_u1_u2', 1, 1),
      range('n_u1_u2', 1, 9, 1),
    ]);
    const revoked = data.msgs.si_u1_u2.Msgs[0];
    expect(revoked).toMatchObject({
      contentType: 2101,
      seq: 1,
      sendID: 'u1',
      status: 2,
      serverMsgID: sent?.serverMsgID,
      clientMsgID: sent?.clientMsgID,
      sendTime: T0 + 1000,
    });
    expect(decode(revoked.content)).toBe(
      `{"detail":"{\\"revokerID\\":\\"u1\\",\\"revokerRole\\":0,\\"clientMsgID\\":\\"${sent?.clientMsgID}\\",\\"revokerNickname\\":\\"Alice\\",\\"revokeTime\\":${T0 + 60_000},\\"sourceMessageSendTime\\":${T0 + 1000},\\"sourceMessageSendID\\":\\"u1\\",\\"sourceMessageSenderNickname\\":\\"Alice\\",\\"sessionType\\":1,\\"seq\\":1,\\"ex\\":\\"\\"}"}`,
    );
    const [notice] = data.notificationMsgs.n_u1_u2.Msgs;
    expect(notice).toMatchObject({
      seq: 1,
      contentType: 2101,
      msgFrom: 200,
      sendID: 'u1',
      recvID: 'u2',
    });
    expect(notice.options).toMatchObject({
      history: true,
      persistent: true,
      isNotNotification: false,
    });
    expect(decode(notice.content)).toBe(
      `{"detail":"{\\"revokerUserID\\":\\"u1\\",\\"clientMsgID\\":\\"${sent?.clientMsgID}\\",\\"revokeTime\\":${T0 + 60_000},\\"sesstionType\\":1,\\"seq\\":1,\\"conversationID\\":\\"si_u1_u2\\",\\"isAdminRevoke\\":false}"}`,
    );
    expect(() => model.revoke({ conversationID: 'si_u1_u2', seq: 1, userID: 'u1' })).toThrow(
      /1404/,
    );
  });

  it('records a group revoke by an admin with role 0 and isAdminRevoke, in n_<groupID>', async () => {
    const { fake, model } = await start('main');
    for (const userID of ['a', 'b']) model.addUser({ userID, nickname: userID.toUpperCase() });
    model.createGroup({ groupID: 'g1', ownerUserID: 'a', memberUserIDs: ['b'] });
    model.sendMessage({ sendID: 'b', groupID: 'g1', content: '{"content":"x"}' });
    model.sendMessage({ sendID: 'b', groupID: 'g1', content: '{"content":"y"}' });
    model.revoke({ conversationID: 'sg_g1', seq: 1, userID: 'b', adminUserID: 'imAdmin' });
    model.revoke({ conversationID: 'sg_g1', seq: 2, userID: 'a' });
    const token = await adminToken(fake);
    // num bounds normal ranges only: an n_ range returns every seq from begin to end.
    const data = await pull(fake, token, 'a', [range('sg_g1', 1, 2), range('n_g1', 1, 2, 1)]);
    const [byAdmin, byOwner] = data.msgs.sg_g1.Msgs.map((m: { content: string }) =>
      JSON.parse(JSON.parse(decode(m.content) as string).detail),
    );
    expect([byAdmin.revokerRole, byAdmin.revokerID, byOwner.revokerRole]).toEqual([0, 'b', 100]);
    const tips = data.notificationMsgs.n_g1.Msgs.map((m: { content: string }) =>
      JSON.parse(JSON.parse(decode(m.content) as string).detail),
    );
    expect(
      tips.map((t: { revokerUserID: string; isAdminRevoke: boolean }) => [
        t.revokerUserID,
        t.isAdminRevoke,
      ]),
    ).toEqual([
      ['imAdmin', true],
      ['a', false],
    ]);
  });

  it.each(VARIANTS)(
    'lets only an admin or the user themselves pull on main, anyone on v3.8.3 (%s)',
    async (variant) => {
      const { fake } = await start(variant);
      chat(fake, 2);
      const bob = fake.userToken('u2');
      const answer = await call(
        fake,
        '/msg/pull_msg_by_seq',
        { userID: 'u1', seqRanges: [range('si_u1_u2', 1, 2)] },
        { token: bob },
      );
      if (variant === 'main') {
        expect(answer.text).toBe(
          '{"errCode":1002,"errMsg":"NoPermissionError","errDlt":"ownerUserID, u1=MISSING"}',
        );
      } else {
        expect(seqsOf(answer.json.data.msgs.si_u1_u2)).toEqual([1, 2]);
      }
      const own = await pull(fake, bob, 'u2', [range('si_u1_u2', 1, 2)]);
      expect(seqsOf(own.msgs.si_u1_u2)).toEqual([1, 2]);
      // newest_seq checks access on both.
      const newest = await call(fake, '/msg/newest_seq', { userID: 'u1' }, { token: bob });
      expect(newest.json.errCode).toBe(1002);
    },
  );
});

describe('model', () => {
  it('names one-to-one conversations with the user IDs in byte order and gives both a record', async () => {
    const { model } = await start('v3.8.3');
    const sent = model.sendMessage({ sendID: 'user_b', recvID: 'User_a', content: '{}' });
    expect([sent.conversationID, sent.seq, sent.status]).toEqual(['si_User_a_user_b', 1, 2]);
    // UTF-16 order would put the emoji (a surrogate pair) first; Go compares bytes.
    expect(
      model.sendMessage({ sendID: '😀', recvID: '\uff01', content: '{}' }).conversationID,
    ).toBe('si_\uff01_😀');
    expect(model.records('User_a').map((r) => [r.conversationID, r.userID])).toEqual([
      ['si_User_a_user_b', 'user_b'],
    ]);
    expect(model.records('user_b').map((r) => r.userID)).toEqual(['User_a']);
  });
});

describe('newest_seq (§3)', () => {
  it.each(VARIANTS)(
    'maps the max seqs above 0, with n_ twins and the self-notification conversation (%s)',
    async (variant) => {
      const { fake, model } = await start(variant);
      chat(fake, 2);
      model.addUser({ userID: 'u3' });
      model.createGroup({ groupID: 'g1', ownerUserID: 'u1', memberUserIDs: ['u3'] });
      model.revoke({ conversationID: 'si_u1_u2', seq: 1, userID: 'u1' });
      model.deleteForUser('si_u1_u2', 'u1', [2], { syncSelf: true });
      const token = await adminToken(fake);
      const answer = await call(fake, '/msg/newest_seq', { userID: 'u1' }, { token });
      const maxSeqs = '{"maxSeqs":{"n_u1_u1":1,"n_u1_u2":1,"si_u1_u2":2}';
      expect(answer.text).toBe(
        `{"errCode":0,"errMsg":"","errDlt":"","data":${maxSeqs}${variant === 'main' ? '}' : ',"minSeqs":null}'}}`,
      );
      const notes = await pull(fake, token, 'u1', [range('n_u1_u1', 1, 1)]);
      expect(JSON.parse(decode(notes.notificationMsgs.n_u1_u1.Msgs[0].content) as string)).toEqual({
        detail: '{"userID":"u1","conversationID":"si_u1_u2","seqs":[2]}',
      });
    },
  );
});

describe('search_msg (§5)', () => {
  it.each(VARIANTS)(
    'finds original content of revoked messages, filters and pages (%s)',
    async (variant) => {
      const { fake } = await start(variant);
      seedDemo(fake.model);
      const token = await adminToken(fake);
      const search = async (body: Record<string, unknown>) =>
        (
          await call(
            fake,
            '/msg/search_msg',
            { pagination: { pageNumber: 1, showNumber: 50 }, ...body },
            { token },
          )
        ).json;
      const carol = await search({ sendID: 'user_c' });
      // Block order: the group's block was created before si_user_b_user_c's.
      expect(carol.data.chatLogs.map((l: { chatLog: { seq: number } }) => l.chatLog.seq)).toEqual([
        5, 6, 7, 2,
      ]);
      expect(carol.data.chatLogsNum).toBe(4);
      const revoked = carol.data.chatLogs[1];
      expect(revoked.isRevoked).toBe(true);
      expect(revoked.chatLog).toMatchObject({
        seq: 6,
        contentType: 101,
        content: '{"content":"Wait, I have a dentist appointment"}',
        recvID: '3069284561',
        groupID: '3069284561',
        groupName: 'Weekend hike',
        groupOwner: 'user_a',
        groupMemberCount: 3,
        groupType: 2,
        groupFaceURL: '',
        senderFaceURL: 'https://files.example.com/openim/groups/3069284561.png',
      });
      const toBob = await search({ recvID: 'user_b' });
      expect(
        toBob.data.chatLogs.map(
          (l: { chatLog: { seq: number; sendID: string; recvNickname: string } }) => [
            l.chatLog.seq,
            l.chatLog.sendID,
            l.chatLog.recvNickname,
          ],
        ),
      ).toEqual([
        [1, 'user_a', 'Bob'],
        [3, 'user_a', 'Bob'],
        [5, 'user_a', 'Bob'],
        [6, 'user_a', 'Bob'],
        [8, 'user_a', 'Bob'],
        [2, 'user_c', 'Bob'],
      ]);
      const pictures = await search({ contentType: 102 });
      expect(
        pictures.data.chatLogs.map((l: { chatLog: { seq: number } }) => l.chatLog.seq),
      ).toEqual([4]);
      const sameDay = await search({ sessionType: 1, sendTime: '2025-05-09' });
      expect(sameDay.data.chatLogsNum).toBe(11);
      const nextDay = await search({ sendTime: '2025-05-10' });
      expect(nextDay.data).toEqual({ chatLogs: null, chatLogsNum: 0 });
      const badDay = await search({ sendTime: '09/05/2025' });
      expect(badDay).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
      expect(badDay.errDlt).toMatch(
        /^invalid sendTime, req=09\/05\/2025, format=2006-01-02, cause=/,
      );
      const page2 = await search({
        sendID: 'user_a',
        pagination: { pageNumber: 2, showNumber: 2 },
      });
      expect(page2.data.chatLogs.map((l: { chatLog: { seq: number } }) => l.chatLog.seq)).toEqual([
        5, 6,
      ]);
      const noPage = await call(fake, '/msg/search_msg', { sendID: 'user_a' }, { token });
      expect(noPage.json.data).toEqual({ chatLogs: null, chatLogsNum: 8 });
      // No filter at all: v3.8.3 matches the empty slots of OpenIM's 100-message blocks and panics.
      const unfiltered = await search({});
      if (variant === 'v3.8.3') {
        expect(unfiltered).toMatchObject({ errCode: 2, errDlt: '' });
        expect(unfiltered.errMsg).toMatch(/panic/);
      } else {
        expect(unfiltered.data.chatLogsNum).toBe(18);
      }
    },
  );
});

describe('users, conversations, groups (§6)', () => {
  it('pages users and groups, and lists conversations', async () => {
    const { fake, model } = await start('v3.8.3');
    for (let i = 0; i < 10; i++) model.addUser({ userID: `u0${i}`, nickname: `User ${i}` });
    const token = await adminToken(fake);
    const ids = await call(
      fake,
      '/user/get_all_users_uid',
      { pagination: { pageNumber: 2, showNumber: 4 } },
      { token },
    );
    expect(ids.json.data).toEqual({ total: 11, userIDs: ['u03', 'u04', 'u05', 'u06'] });
    const users = await call(
      fake,
      '/user/get_users',
      { pagination: { pageNumber: 3, showNumber: 4 } },
      { token },
    );
    expect(users.json.data.total).toBe(10); // admins are left out
    expect(users.json.data.users.map((u: { userID: string }) => u.userID)).toEqual(['u08', 'u09']);
    const past = await call(
      fake,
      '/user/get_users',
      { pagination: { pageNumber: 4, showNumber: 4 } },
      { token },
    );
    expect(past.json.data).toEqual({ total: 10, users: null });
    const named = await call(
      fake,
      '/user/get_users',
      { pagination: { pageNumber: 1, showNumber: 9 }, nickName: 'user [12]' },
      { token },
    );
    expect(named.json.data.users.map((u: { userID: string }) => u.userID)).toEqual(['u01', 'u02']);
    const missing = await call(fake, '/user/get_all_users_uid', {}, { token });
    expect(missing.json).toEqual({
      errCode: 1001,
      errMsg: 'ArgsError',
      errDlt: 'pagination is empty',
    });

    for (let i = 0; i < 4; i++) {
      model.createGroup({
        groupID: `g${i}`,
        ownerUserID: 'u00',
        groupName: `Group ${i}`,
        createTime: T0 + i,
      });
    }
    model.dismissGroup('g3');
    const groups = await call(
      fake,
      '/group/get_groups',
      { pagination: { pageNumber: 1, showNumber: 2 } },
      { token },
    );
    expect(groups.json.data.total).toBe(3);
    expect(
      groups.json.data.groups.map(
        (g: { groupOwnerUserID: string; groupInfo: { groupID: string } }) => [
          g.groupInfo.groupID,
          g.groupOwnerUserID,
        ],
      ),
    ).toEqual([
      ['g2', 'u00'],
      ['g1', 'u00'],
    ]);
    const direct = await call(
      fake,
      '/group/get_groups',
      { pagination: { pageNumber: 1, showNumber: 2 }, groupID: 'g3' },
      { token },
    );
    expect([direct.json.data.total, direct.json.data.groups[0].groupInfo.status]).toEqual([1, 2]);
    const members = await call(
      fake,
      '/group/get_group_member_user_id',
      { groupID: 'g0' },
      { token },
    );
    expect(members.json.data).toEqual({ userIDs: ['u00'] });
    const outsider = await call(
      fake,
      '/group/get_group_member_user_id',
      { groupID: 'g0' },
      { token: fake.userToken('u05') },
    );
    expect(outsider.json).toEqual({
      errCode: 1002,
      errMsg: 'NoPermissionError',
      errDlt: 'opUser no permission',
    });

    const owned = await call(
      fake,
      '/conversation/get_owner_conversation',
      { userID: 'u00', pagination: { pageNumber: 2, showNumber: 3 } },
      { token },
    );
    expect(owned.json.data.total).toBe(4);
    expect(
      owned.json.data.conversations.map((c: { conversationID: string }) => c.conversationID),
    ).toEqual(['sg_g3']);
    const full = await call(
      fake,
      '/conversation/get_full_conversation_ids',
      { userID: 'u00' },
      { token },
    );
    expect(full.json.data.conversationIDs).toEqual(['sg_g0', 'sg_g1', 'sg_g2', 'sg_g3']);
    const hash = idHash(full.json.data.conversationIDs);
    expect(hash).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER)); // sent as an exact uint64
    const same = await call(
      fake,
      '/conversation/get_full_conversation_ids',
      `{"userID":"u00","idHash":${hash}}`,
      {
        token,
      },
    );
    expect(same.json.data).toMatchObject({ equal: true, conversationIDs: null });
    const picked = await call(
      fake,
      '/conversation/get_conversations',
      { ownerUserID: 'u00', conversationIDs: ['sg_g1', 'sg_nope'] },
      { token },
    );
    expect(picked.json.data.conversations.map((c: { groupID: string }) => c.groupID)).toEqual([
      'g1',
    ]);
  });
});

describe('transport (§1)', () => {
  it('decodes like encoding/json: any key case, unknown keys ignored, no quoted int64', async () => {
    const { fake } = await start('v3.8.3');
    chat(fake, 2);
    const token = await adminToken(fake);
    const loose = await call(
      fake,
      '/msg/pull_msg_by_seq',
      '{"USERID":"u1","seqranges":[{"ConversationID":"si_u1_u2","Begin":1,"END":2,"num":5,"extra":true}],"more":{}}',
      { token },
    );
    expect(seqsOf(loose.json.data.msgs.si_u1_u2)).toEqual([1, 2]);
    const quoted = await call(
      fake,
      '/msg/pull_msg_by_seq',
      { userID: 'u1', seqRanges: [{ conversationID: 'si_u1_u2', begin: '1', end: 2, num: 5 }] },
      { token },
    );
    expect(quoted.json).toEqual({
      errCode: 1001,
      errMsg:
        'Error: Error: json: cannot unmarshal string into Go struct field SeqRange.seqRanges.begin of type int64',
      errDlt: '',
    });
    const broken = await call(fake, '/msg/newest_seq', '{"userID":', { token });
    expect(broken.json.errMsg).toBe('Error: Error: unexpected end of JSON input');
  });

  it('answers unknown paths with gin`s plain-text 404, after the header checks', async () => {
    const { fake } = await start('main');
    const token = await adminToken(fake);
    const unknown = await call(fake, '/msg/nope', {}, { token });
    expect([unknown.status, unknown.text, unknown.headers.get('content-type')]).toEqual([
      404,
      '404 page not found',
      'text/plain',
    ]);
    const bare = await call(fake, '/msg/nope', {}, { operationID: null });
    expect(bare.json.errDlt).toBe('header must have operationID');
    const get = await call(fake, '/msg/newest_seq', undefined, { method: 'GET' });
    expect(get.status).toBe(404);
  });

  it('gzips a response when the client accepts gzip', async () => {
    const { fake } = await start('v3.8.3');
    const raw = (acceptGzip: boolean) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        const req = request(
          `${fake.url}/auth/get_admin_token`,
          {
            method: 'POST',
            headers: { operationID: 'op', ...(acceptGzip ? { 'Accept-Encoding': 'gzip' } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end('{"secret":"openIM123","userID":"imAdmin"}');
      });
    const zipped = await raw(true);
    expect([zipped.headers['content-encoding'], zipped.headers.vary]).toEqual([
      'gzip',
      'Accept-Encoding',
    ]);
    expect(JSON.parse(gunzipSync(zipped.body).toString()).errCode).toBe(0);
    const plain = await raw(false);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString()).errCode).toBe(0);
  });

  it('injects faults: OpenIM errors, HTTP 500, 429 with Retry-After, delays and closed sockets', async () => {
    const { fake, model } = await start('main');
    model.addUser({ userID: 'u1' });
    const token = await adminToken(fake);
    const newest = () => call(fake, '/msg/newest_seq', { userID: 'u1' }, { token });
    fake.fail('/msg/newest_seq', { kind: 'error', errCode: 1501 }, 2);
    expect((await newest()).text).toBe('{"errCode":1501,"errMsg":"TokenExpiredError","errDlt":""}');
    expect((await newest()).json.errCode).toBe(1501);
    expect((await newest()).json.errCode).toBe(0);
    fake.fail(/newest/, { kind: 'http500' });
    expect(await newest()).toMatchObject({ status: 500, text: '' });
    fake.fail('/msg/newest_seq', { kind: 'tooManyRequests', retryAfter: 3 });
    const limited = await newest();
    expect([limited.status, limited.headers.get('retry-after'), limited.json.errCode]).toEqual([
      429,
      '3',
      429,
    ]);
    fake.fail('/msg/newest_seq', { kind: 'delay', ms: 60 });
    const before = performance.now();
    expect((await newest()).json.errCode).toBe(0);
    expect(performance.now() - before).toBeGreaterThanOrEqual(55);
    fake.fail('/msg/newest_seq', { kind: 'closeSocket' });
    await expect(newest()).rejects.toThrow();
    expect((await newest()).json.errCode).toBe(0);
  });

  it('logs every request, so tests can check what a client asked', async () => {
    const { fake } = await start('v3.8.3');
    chat(fake, 3);
    const token = await adminToken(fake);
    await pull(fake, token, 'u1', [range('si_u1_u2', 1, 3, 2)]);
    await call(fake, '/msg/newest_seq', { userID: 'u1' });
    expect(fake.requests.map((r) => [r.path, r.status, r.errCode])).toEqual([
      ['/auth/get_admin_token', 200, 0],
      ['/msg/pull_msg_by_seq', 200, 0],
      ['/msg/newest_seq', 200, 1001],
    ]);
    const pulled = fake.requests[1] as RecordedRequest;
    expect(pulled.headers.token).toBe(token);
    expect(pulled.headers.operationid).toBe('op-test');
    expect((pulled.body as { seqRanges: { num: number }[] }).seqRanges[0]?.num).toBe(2);
    const withSecret = fake.requests.filter((r) => r.rawBody.includes('openIM123'));
    expect(withSecret.map((r) => r.path)).toEqual(['/auth/get_admin_token']);
  });
});

describe('demo (seedDemo and the command line)', () => {
  it('seeds the README message as seq 1 of si_user_a_user_b', async () => {
    const { fake } = await start('v3.8.3');
    seedDemo(fake.model);
    const token = await adminToken(fake);
    const data = await pull(fake, token, 'user_b', [range('si_user_a_user_b', 1, 1)]);
    const [first] = data.msgs.si_user_a_user_b.Msgs;
    const readme = JSON.parse(V38_EXAMPLE_BODY);
    expect(first).toMatchObject({
      seq: 1,
      sendID: readme.sendID,
      recvID: readme.recvID,
      serverMsgID: readme.serverMsgID,
      clientMsgID: readme.clientMsgID,
      senderPlatformID: readme.senderPlatformID,
      senderNickname: readme.senderNickname,
      senderFaceURL: readme.faceURL,
      sessionType: readme.sessionType,
      msgFrom: readme.msgFrom,
      contentType: readme.contentType,
      sendTime: readme.sendTime,
      createTime: readme.createTime,
      atUserIDList: readme.atUserList,
      ex: readme.ex,
      status: 2,
    });
    expect(decode(first.content)).toBe(readme.content);
    const all = await pull(fake, token, 'user_a', [
      range('si_user_a_user_b', 1, 100),
      range('sg_3069284561', 1, 100),
      range('si_user_b_user_c', 1, 100),
    ]);
    expect(
      all.msgs.si_user_a_user_b.Msgs.map((m: { contentType: number; status: number }) => [
        m.contentType,
        m.status,
      ]),
    ).toEqual([
      [101, 2],
      [101, 2],
      [101, 2],
      [101, 2],
      [2101, 2],
      [101, 2],
      [0, 4],
      [101, 2],
      [101, 2],
    ]);
    expect(all.msgs.sg_3069284561.Msgs.map((m: { contentType: number }) => m.contentType)).toEqual([
      1501, 101, 101, 102, 101, 2101, 101,
    ]);
    expect(all.msgs.si_user_b_user_c).toBeUndefined(); // user_a holds no record of it
  });

  it('serves the demo from the command line and stops on SIGTERM', async () => {
    const demo = run('node_modules/.bin/node', [
      'test/support/fake-openim.ts',
      '--port',
      '0',
      '--variant',
      'main',
    ]);
    try {
      const [, url] = (await demo.waitFor(
        /on (http:\/\/127\.0\.0\.1:\d+)/,
        10_000,
      )) as RegExpMatchArray;
      await demo.waitFor(/admin userID: imAdmin/, 10_000);
      expect(demo.stdout()).toMatch(/^ {2}msg: +\/msg\/newest_seq /m);
      const answer = await fetch(`${url}/auth/get_admin_token`, {
        method: 'POST',
        headers: { operationID: 'op' },
        body: '{"secret":"openIM123","userID":"imAdmin"}',
      });
      expect(((await answer.json()) as { errCode: number }).errCode).toBe(0);
    } finally {
      await demo.stop('SIGTERM');
    }
    expect(await demo.exitCode()).toBe(0);
  });
});
