/**
 * What each route of the fake does once the request is decoded: the request's `Check()`, the
 * authverify rule of the variant, and the RPC's algorithm over the model, read from the Go source
 * of v3.8.3-patch.16 and main.
 */
import { createHash } from 'node:crypto';
import { codeError, type OpenImError, panicError, type TokenStore } from './fake-openim-auth.ts';
import { encodeStruct, goString, type OpenImVariant, type Schema } from './fake-openim-json.ts';
import {
  blockOf,
  type MsgSlot,
  notificationTwin,
  type OpenImModel,
  type StoredMsg,
} from './fake-openim-model.ts';
import * as P from './fake-openim-protocol.ts';

/** Who is calling and what they can reach. */
export interface RouteContext {
  readonly model: OpenImModel;
  readonly tokens: TokenStore;
  readonly variant: OpenImVariant;
  readonly secret: string;
  readonly adminUserIDs: readonly string[];
  /** The token's user; "" on the two token-less auth routes. */
  readonly opUserID: string;
}

/** A route's answer: the response struct's fields, or an OpenIM error. */
export type RouteResult = { data: Record<string, unknown> } | { error: OpenImError };

/** One POST route: its request and response structs and what it does. */
export interface Route {
  readonly request: Schema;
  readonly response: Schema;
  readonly handle: (req: Record<string, unknown>, ctx: RouteContext) => RouteResult;
}

type Req = Record<string, unknown>;
type Pagination = { pageNumber: number; showNumber: number } | null;

const str = (req: Req, name: string) => req[name] as string;
const num = (req: Req, name: string) => req[name] as number;
const argsError = (detail: string): RouteResult => ({ error: codeError(P.ERR.args, detail) });

function isAdmin(ctx: RouteContext): boolean {
  return ctx.adminUserIDs.includes(ctx.opUserID);
}

/** `CheckAccessV3` (v3.8.3) and `CheckAccess` (main): an admin, or the owner themselves. */
function checkAccess(ctx: RouteContext, ownerUserID: string): RouteResult | undefined {
  if (isAdmin(ctx) || ctx.opUserID === ownerUserID) return undefined;
  // errs.WrapMsg("ownerUserID", ownerUserID) pairs its one argument with nothing: "…=MISSING".
  return { error: codeError(P.ERR.noPermission, `ownerUserID, ${ownerUserID}=MISSING`) };
}

/** The access check main added to a route that v3.8.3 leaves open. */
function checkAccessOnMain(ctx: RouteContext, ownerUserID: string): RouteResult | undefined {
  return ctx.variant === 'main' ? checkAccess(ctx, ownerUserID) : undefined;
}

/** The `Check()` of requests that need a pagination with a page number. */
function checkPagination(req: Req): RouteResult | undefined {
  const pagination = req.pagination as Pagination;
  if (pagination === null) return argsError('pagination is empty');
  if (pagination.pageNumber < 1) return argsError('pageNumber is invalid');
  return undefined;
}

/** `mongoutil.FindPage`: the count, and the page unless it starts past the end. */
function findPage<T>(items: T[], pagination: Pagination): { total: number; page: T[] } {
  const total = items.length;
  if (total === 0 || pagination === null) return { total, page: [] };
  const skip = (pagination.pageNumber - 1) * pagination.showNumber;
  if (skip < 0 || skip >= total || pagination.showNumber <= 0) return { total, page: [] };
  return { total, page: items.slice(skip, skip + pagination.showNumber) };
}

/** `datautil.Paginate`: an in-memory page, empty for a page number or size below 1. */
function paginate<T>(items: T[], pagination: Pagination): T[] {
  const page = pagination?.pageNumber ?? 0;
  const size = pagination?.showNumber ?? 0;
  if (page <= 0 || size <= 0) return [];
  return items.slice((page - 1) * size, page * size);
}

/** A Mongo `$regex` as JavaScript can run it, or the error a bad pattern makes. */
function mongoRegex(pattern: string, flags: string, ctx: RouteContext): RegExp | OpenImError {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    const mongo = `(BadValue) Regular expression is invalid: ${(error as Error).message}`;
    return ctx.variant === 'main'
      ? codeError(P.ERR.internal, mongo)
      : {
          errCode: 500,
          errMsg: `${mongo} mongo failed to count documents in collection`,
          errDlt: `${mongo} mongo failed to count documents in collection`,
        };
  }
}

// ---- messages as the msg service reads them -------------------------------------------------

/** A message after the read path's treatment, before it is put on the wire. */
type ReadMsg = StoredMsg & { isRead: boolean };

/** `FindBeforeSendTime`: the seq and send time of the last message with a send time before `seq`. */
function findBeforeSendTime(
  model: OpenImModel,
  conversationID: string,
  seq: number,
): [number, number] {
  let first = true;
  for (let index = blockOf(seq).index; index >= 0; index--) {
    // The first block is read up to the seq's own slot; a seq ending in 00 reads none of it.
    const limit = first ? seq % 100 : -1;
    first = false;
    if (limit === 0) continue;
    const block = model.block(conversationID, index);
    if (!block) continue;
    const slots = limit < 0 ? block.slots : block.slots.slice(0, limit);
    for (let j = slots.length - 1; j >= 0; j--) {
      const msg = slots[j]?.msg;
      if (msg && msg.sendTime > 0) return [msg.seq, msg.sendTime];
    }
  }
  return [0, 0];
}

/**
 * `MsgMgo.FindSeqs`: the slots holding these seqs; a seq whose slot is empty, cleared, missing or
 * without a send time becomes `{seq, status 4, sendTime}` with the send time of the nearest
 * earlier message (as the server's descending walk over such seqs finds it).
 */
function findSeqs(model: OpenImModel, conversationID: string, seqs: number[]): MsgSlot[] {
  const found: MsgSlot[] = [];
  const abnormal: number[] = [];
  for (const seq of seqs) {
    const { index, slot } = blockOf(seq);
    const block = model.block(conversationID, index);
    // Mongo's $arrayElemAt counts a negative index (seq 0's slot -1) from the end.
    const entry = block?.slots[slot < 0 ? block.slots.length + slot : slot];
    if (!entry?.msg || entry.msg.sendTime === 0) abnormal.push(seq);
    else found.push(entry);
  }
  abnormal.sort((a, b) => b - a);
  const sendTimes = new Map<number, number>();
  let lastSeq = 0;
  let lastSendTime = 0;
  for (const seq of abnormal) {
    if (lastSendTime > 0 && lastSeq <= seq) {
      sendTimes.set(seq, lastSendTime);
      continue;
    }
    const [msgSeq, sendTime] = findBeforeSendTime(model, conversationID, seq);
    if (sendTime <= 0) break;
    sendTimes.set(seq, sendTime);
    lastSeq = msgSeq;
    lastSendTime = sendTime;
  }
  for (const seq of abnormal) {
    found.push({
      msg: placeholder(seq, sendTimes.get(seq) ?? 0),
      revoke: null,
      delList: [],
      isRead: false,
      cleared: false,
    });
  }
  return found;
}

function placeholder(seq: number, sendTime: number): StoredMsg {
  return {
    sendID: '',
    recvID: '',
    groupID: '',
    clientMsgID: '',
    serverMsgID: '',
    senderPlatformID: 0,
    senderNickname: '',
    senderFaceURL: '',
    sessionType: 0,
    msgFrom: 0,
    contentType: 0,
    content: '',
    seq,
    sendTime,
    createTime: 0,
    status: P.STATUS.deleted,
    options: null,
    offlinePushInfo: null,
    atUserIDList: null,
    attachedInfo: '',
    ex: '',
  };
}

/** `handlerDeleteAndRevoked`: deleted for this user → status 4 and no content; revoked → 2101. */
function asRead(slot: MsgSlot, userID: string, variant: OpenImVariant): ReadMsg {
  const msg: ReadMsg = { ...(slot.msg as StoredMsg), isRead: slot.isRead };
  if (slot.delList.includes(userID)) {
    msg.content = '';
    msg.status = P.STATUS.deleted;
  }
  if (slot.revoke) {
    msg.contentType = P.CONTENT.revoke;
    const detail = encodeStruct(
      P.MessageRevokedContent,
      {
        revokerID: slot.revoke.userID,
        revokerRole: slot.revoke.role,
        clientMsgID: msg.clientMsgID,
        revokerNickname: slot.revoke.nickname,
        revokeTime: slot.revoke.time,
        sourceMessageSendTime: msg.sendTime,
        sourceMessageSendID: msg.sendID,
        sourceMessageSenderNickname: msg.senderNickname,
        sessionType: msg.sessionType,
        seq: msg.seq,
        ex: msg.ex,
      },
      variant,
    );
    msg.content = encodeStruct(P.NotificationElem, { detail }, variant);
  }
  return msg;
}

/** `convert.MsgDB2Pb`: `isRead` only for one-to-one messages; no `signalInfo` is stored. */
function toWire(msg: ReadMsg): Record<string, unknown> {
  return {
    ...msg,
    isRead: msg.sessionType === P.SESSION.single ? msg.isRead : false,
    offlinePushInfo: msg.offlinePushInfo && { ...msg.offlinePushInfo, signalInfo: '' },
  };
}

/** `GetMessageBySeqs`: one element per seq, in the seqs' order. */
function getMessageBySeqs(
  ctx: RouteContext,
  conversationID: string,
  userID: string,
  seqs: number[],
): Record<string, unknown>[] {
  const bySeq = new Map<number, ReadMsg>();
  for (const slot of findSeqs(ctx.model, conversationID, seqs)) {
    const msg = asRead(slot, userID, ctx.variant);
    bySeq.set(msg.seq, msg);
  }
  return seqs.map((seq) => {
    const msg = bySeq.get(seq) ?? { ...placeholder(seq, 0), isRead: false };
    return toWire(msg);
  });
}

/** Seqs `from..to`; callers clamp both ends to the visible window first, so it stays small. */
function seqRange(from: number, to: number): number[] {
  const out: number[] = [];
  for (let seq = from; seq <= to; seq++) out.push(seq);
  return out;
}

interface SeqRangeReq {
  conversationID: string;
  begin: number;
  end: number;
  num: number;
}

function pullNormal(
  ctx: RouteContext,
  userID: string,
  range: SeqRangeReq,
  order: number,
): Record<string, unknown> | undefined {
  const { model } = ctx;
  const record = model.record(userID, range.conversationID);
  if (!record) return undefined; // GetConversation fails: the range is skipped, logged only
  const seqs = model.conversationSeqs(range.conversationID);
  const minSeq = Math.max(seqs.minSeq, model.userMinSeq(range.conversationID, userID));
  if (minSeq > range.end) return undefined;
  let maxSeq = seqs.maxSeq;
  if (record.maxSeq !== 0 && record.maxSeq < maxSeq) maxSeq = record.maxSeq;
  const begin = Math.max(range.begin, minSeq);
  const end = Math.min(range.end, maxSeq);
  if (end < begin) return undefined; // "seq end < begin": an error, so the range is skipped
  // More seqs than num: only the last num of them, whatever the order.
  const wanted =
    end - begin + 1 <= range.num ? seqRange(begin, end) : seqRange(end - range.num + 1, end);
  const msgs = getMessageBySeqs(ctx, range.conversationID, userID, wanted);
  if (msgs.length === 0) return undefined;
  return { Msgs: msgs, isEnd: isEnd(order, range, minSeq, maxSeq), endSeq: 0 };
}

function pullNotifications(
  ctx: RouteContext,
  userID: string,
  range: SeqRangeReq,
  order: number,
): Record<string, unknown> | undefined {
  const { model } = ctx;
  const id = range.conversationID;
  const seqs = model.conversationSeqs(id);
  const minSeq = Math.max(seqs.minSeq, model.userMinSeq(id, userID));
  let maxSeq = seqs.maxSeq;
  const userMaxSeq = model.userMaxSeq(id, userID);
  if (userMaxSeq > 0 && userMaxSeq < maxSeq) maxSeq = userMaxSeq;
  // Every seq begin..end (num ignored) that is positive and inside [minSeq, maxSeq].
  const wanted = seqRange(Math.max(range.begin, minSeq, 1), Math.min(range.end, maxSeq));
  const msgs = getMessageBySeqs(ctx, id, userID, wanted);
  if (msgs.length === 0) return undefined;
  return { Msgs: msgs, isEnd: isEnd(order, range, minSeq, maxSeq), endSeq: 0 };
}

function isEnd(order: number, range: SeqRangeReq, minSeq: number, maxSeq: number): boolean {
  if (order === 0) return maxSeq <= range.end;
  if (order === 1) return range.begin <= minSeq;
  return false;
}

// ---- search ---------------------------------------------------------------------------------

type Condition = (slot: MsgSlot) => boolean;

/** Go's `time.Parse(time.DateOnly, s)` as UTC midnight in ms, or Go's error text. */
function parseDateOnly(value: string): number | string {
  const prefix = `parsing time ${JSON.stringify(value)}`;
  const steps: [RegExp, string][] = [
    [/^\d{4}/, '2006'],
    [/^-/, '-'],
    [/^\d{2}/, '01'],
    [/^-/, '-'],
    [/^\d{2}/, '02'],
  ];
  let rest = value;
  const parts: number[] = [];
  for (const [pattern, layout] of steps) {
    const match = pattern.exec(rest);
    if (!match)
      return `${prefix} as "2006-01-02": cannot parse ${JSON.stringify(rest)} as "${layout}"`;
    if (layout !== '-') parts.push(Number(match[0]));
    rest = rest.slice(match[0].length);
  }
  const [year = 0, month = 0, day = 0] = parts;
  if (month < 1 || month > 12) return `${prefix}: month out of range`;
  if (rest !== '') return `${prefix}: extra text: ${JSON.stringify(rest)}`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return `${prefix}: day out of range`;
  return Date.UTC(year, month - 1, day);
}

/** The identity `$indexOfArray` sees: equal slots (never written, or cleared) share their first index. */
function slotKey(slot: MsgSlot, index: number): string {
  if (slot.cleared) return 'cleared';
  if (!slot.msg && !slot.revoke && slot.delList.length === 0 && !slot.isRead) return 'empty';
  return `slot ${index}`;
}

function search(req: Req, ctx: RouteContext): RouteResult {
  const { model } = ctx;
  const conditions: Condition[] = [];
  // main only matches slots that hold a message; v3.8.3 also matches empty slots (and panics).
  if (ctx.variant === 'main') conditions.push((s) => s.msg !== null);
  const recvID = str(req, 'recvID');
  if (recvID !== '') conditions.push((s) => s.msg?.recvID === recvID || s.msg?.groupID === recvID);
  const sendID = str(req, 'sendID');
  if (sendID !== '') conditions.push((s) => s.msg?.sendID === sendID);
  const contentType = num(req, 'contentType');
  if (contentType !== 0) conditions.push((s) => s.msg?.contentType === contentType);
  const sessionType = num(req, 'sessionType');
  if (sessionType !== 0) conditions.push((s) => s.msg?.sessionType === sessionType);
  const sendTime = str(req, 'sendTime');
  if (sendTime !== '') {
    const day = parseDateOnly(sendTime);
    if (typeof day === 'string') {
      return argsError(`invalid sendTime, req=${sendTime}, format=2006-01-02, cause=${day}`);
    }
    // Two separate conditions: at block level each may be met by a different message.
    conditions.push((s) => s.msg !== null && s.msg.sendTime >= day);
    conditions.push((s) => s.msg !== null && s.msg.sendTime < day + 86_400_000);
  }
  const pagination = req.pagination as Pagination;
  const showNumber = pagination?.showNumber ?? 0;
  if (showNumber < 0)
    return { error: panicError(ctx.variant, 'runtime error: makeslice: cap out of range') };
  const skip = ((pagination?.pageNumber ?? 0) - 1) * showNumber;
  const blocks = model
    .blocks()
    .filter((b) => b.conversationID.startsWith('sg_') || b.conversationID.startsWith('si_'))
    .filter((b) => conditions.every((c) => b.slots.some(c)));
  let next = 0;
  let count = 0;
  let push = showNumber;
  const page: MsgSlot[] = [];
  for (;;) {
    const batch = blocks.filter((b) => b.id > next).slice(0, 50);
    const res = batch
      .map((block) => ({
        block,
        indexes: block.slots.flatMap((slot, i) => {
          if (!conditions.every((c) => c(slot))) return [];
          const key = slotKey(slot, i);
          return [block.slots.findIndex((other, j) => slotKey(other, j) === key)];
        }),
      }))
      .filter((r) => r.indexes.length > 0);
    const last = res.at(-1);
    if (last) next = last.block.id;
    for (const { block, indexes } of res) {
      for (const index of indexes) {
        if (push > 0 && count >= skip) {
          page.push(block.slots[index] as MsgSlot);
          push--;
        }
        count++;
      }
    }
    if (push <= 0) push--;
    if (res.length < 50 || push < -10) break;
  }
  if (page.some((slot) => slot.msg === null)) {
    // SearchMessage reads chatLog.MsgData.SenderNickname of an empty slot: a nil dereference.
    return {
      error: panicError(
        ctx.variant,
        'runtime error: invalid memory address or nil pointer dereference',
      ),
    };
  }
  const chatLogs: Record<string, unknown>[] = [];
  for (const slot of page) {
    const msg = slot.msg as StoredMsg;
    const log: Record<string, unknown> = {
      ...msg,
      recvNickname: '',
      groupName: '',
      groupFaceURL: '',
    };
    if (msg.senderNickname === '') log.senderNickname = model.user(msg.sendID)?.nickname ?? '';
    if (msg.sessionType === P.SESSION.single || msg.sessionType === P.SESSION.notification) {
      log.recvNickname = model.user(msg.recvID)?.nickname ?? '';
    } else if (msg.sessionType === P.SESSION.group) {
      const group = model.group(msg.groupID);
      if (!group) {
        return {
          error: panicError(
            ctx.variant,
            'runtime error: invalid memory address or nil pointer dereference',
          ),
        };
      }
      const members = model.members(msg.groupID);
      Object.assign(log, {
        senderFaceURL: group.faceURL,
        groupMemberCount: members.length,
        recvID: group.groupID,
        groupName: group.groupName,
        groupOwner: members.find((m) => m.roleLevel === P.ROLE.owner)?.userID ?? '',
        groupType: group.groupType,
      });
    }
    chatLogs.push({ chatLog: log, isRevoked: slot.revoke !== null });
  }
  return { data: { chatLogs, chatLogsNum: count } };
}

// ---- the routes -----------------------------------------------------------------------------

function cmsGroup(ctx: RouteContext, groupID: string): Record<string, unknown> {
  const group = ctx.model.group(groupID);
  const members = ctx.model.members(groupID);
  const owner = members.find((m) => m.roleLevel === P.ROLE.owner);
  return {
    groupInfo: { ...group, ownerUserID: owner?.userID ?? '', memberCount: members.length },
    groupOwnerUserName: owner?.nickname ?? '',
    groupOwnerUserID: owner?.userID ?? '',
  };
}

/** Every route the fake serves, by path. */
export const ROUTES: Readonly<Record<string, Route>> = {
  '/auth/get_admin_token': {
    request: P.GetAdminTokenReq,
    response: P.GetAdminTokenResp,
    handle(req, ctx) {
      const userID = str(req, 'userID');
      if (userID === '') return argsError('userID is empty');
      if (str(req, 'secret') !== ctx.secret) {
        return { error: codeError(P.ERR.noPermission, 'secret invalid') };
      }
      if (!ctx.adminUserIDs.includes(userID)) {
        return argsError(
          `userID is error., userID=${userID}, adminUserID=[${ctx.adminUserIDs.join(' ')}]`,
        );
      }
      if (!ctx.model.user(userID))
        return { error: codeError(P.ERR.recordNotFound, 'user not found') };
      const token = ctx.tokens.create(userID, P.ADMIN_PLATFORM_ID);
      return { data: { token, expireTimeSeconds: 90 * 24 * 60 * 60 } };
    },
  },
  '/auth/parse_token': {
    request: P.ParseTokenReq,
    response: P.ParseTokenResp,
    handle(req, ctx) {
      const token = str(req, 'token');
      if (token === '') return argsError('userID is empty'); // sic, ParseTokenReq.Check
      const parsed = ctx.tokens.parse(token);
      if ('error' in parsed) return parsed;
      const { userID, platformID, exp } = parsed.claims;
      if (exp === undefined) {
        return {
          error: panicError(
            ctx.variant,
            'runtime error: invalid memory address or nil pointer dereference',
          ),
        };
      }
      return { data: { userID, platformID, expireTimeSeconds: Math.floor(exp) } };
    },
  },
  '/msg/newest_seq': {
    request: P.GetMaxSeqReq,
    response: P.GetMaxSeqResp,
    handle(req, ctx) {
      const userID = str(req, 'userID');
      const denied = checkAccess(ctx, userID);
      if (denied) return denied;
      const ids = ctx.model.records(userID).map((r) => r.conversationID);
      const all = [...ids, ...ids.map(notificationTwin), `n_${userID}_${userID}`];
      const maxSeqs: Record<string, number> = {};
      for (const id of all) {
        const { maxSeq } = ctx.model.conversationSeqs(id);
        if (maxSeq !== 0) maxSeqs[id] = maxSeq; // "avoid pulling … max seq values of 0"
      }
      return { data: { maxSeqs, minSeqs: null } };
    },
  },
  '/msg/pull_msg_by_seq': {
    request: P.PullMessageBySeqsReq,
    response: P.PullMessageBySeqsResp,
    handle(req, ctx) {
      const userID = str(req, 'userID');
      const denied = checkAccessOnMain(ctx, userID);
      if (denied) return denied;
      const msgs: Record<string, unknown> = {};
      const notificationMsgs: Record<string, unknown> = {};
      const order = num(req, 'order');
      for (const range of (req.seqRanges as SeqRangeReq[] | null) ?? []) {
        if (range.conversationID.startsWith('n_')) {
          const pulled = pullNotifications(ctx, userID, range, order);
          if (pulled) notificationMsgs[range.conversationID] = pulled;
        } else {
          const pulled = pullNormal(ctx, userID, range, order);
          if (pulled) msgs[range.conversationID] = pulled;
        }
      }
      return { data: { msgs, notificationMsgs } };
    },
  },
  '/msg/search_msg': {
    request: P.SearchMessageReq,
    response: P.SearchMessageResp,
    handle: search,
  },
  '/msg/get_conversations_has_read_and_max_seq': {
    request: P.GetConversationsHasReadAndMaxSeqReq,
    response: P.GetConversationsHasReadAndMaxSeqResp,
    handle(req, ctx) {
      const userID = str(req, 'userID');
      if (userID === '') return argsError('userID is empty');
      const denied = checkAccessOnMain(ctx, userID);
      if (denied) return denied;
      const requested = (req.conversationIDs as string[] | null) ?? [];
      const records = ctx.model.records(userID);
      const ids = requested.length > 0 ? requested : records.map((r) => r.conversationID);
      const seqs: Record<string, unknown> = {};
      for (const id of ids) {
        const { maxSeq, maxSeqTime } = ctx.model.conversationSeqs(id);
        const cap = ctx.model.record(userID, id)?.maxSeq ?? 0;
        seqs[id] = {
          maxSeq: cap !== 0 ? cap : maxSeq,
          hasReadSeq: ctx.model.hasReadSeq(userID, id),
          maxSeqTime,
        };
      }
      const pinned =
        ctx.variant === 'main' && req.returnPinned === true
          ? records.filter((r) => r.isPinned).map((r) => r.conversationID)
          : null;
      return { data: { seqs, pinnedConversationIDs: pinned } };
    },
  },
  '/user/get_all_users_uid': {
    request: P.GetAllUserIDReq,
    response: P.GetAllUserIDResp,
    handle(req, ctx) {
      const invalid = checkPagination(req);
      if (invalid) return invalid;
      const { total, page } = findPage(ctx.model.users(), req.pagination as Pagination);
      return { data: { total, userIDs: page.map((u) => u.userID) } };
    },
  },
  '/user/get_users': {
    request: P.GetPaginationUsersReq,
    response: P.GetPaginationUsersResp,
    handle(req, ctx) {
      const invalid = checkPagination(req);
      if (invalid) return invalid;
      // Only app_manger_level 0 or 1: admins and notification accounts are left out.
      let users = ctx.model.users().filter((u) => u.appMangerLevel === 0 || u.appMangerLevel === 1);
      const userID = str(req, 'userID');
      const nickName = str(req, 'nickName');
      if (userID !== '' || nickName !== '') {
        const byID = userID === '' ? undefined : mongoRegex(userID, 'i', ctx);
        const byName = nickName === '' ? undefined : mongoRegex(nickName, 'i', ctx);
        for (const pattern of [byID, byName])
          if (pattern && !(pattern instanceof RegExp)) return { error: pattern };
        users = users.filter(
          (u) =>
            (byID instanceof RegExp && byID.test(u.userID)) ||
            (byName instanceof RegExp && byName.test(u.nickname)),
        );
      }
      const { total, page } = findPage(users, req.pagination as Pagination);
      return { data: { total, users: page } };
    },
  },
  '/conversation/get_owner_conversation': {
    request: P.GetOwnerConversationReq,
    response: P.GetOwnerConversationResp,
    handle(req, ctx) {
      const userID = str(req, 'userID');
      const denied = checkAccessOnMain(ctx, userID);
      if (denied) return denied;
      const records = ctx.model.records(userID);
      return {
        data: {
          total: records.length,
          conversations: paginate(records, req.pagination as Pagination),
        },
      };
    },
  },
  '/conversation/get_all_conversations': {
    request: P.GetAllConversationsReq,
    response: P.ConversationsResp,
    handle(req, ctx) {
      const owner = str(req, 'ownerUserID');
      if (owner === '') return argsError('ownerUserID is empty');
      const denied = checkAccessOnMain(ctx, owner);
      if (denied) return denied;
      return { data: { conversations: ctx.model.records(owner) } };
    },
  },
  '/conversation/get_full_conversation_ids': {
    request: P.GetFullOwnerConversationIDsReq,
    response: P.GetFullOwnerConversationIDsResp,
    handle(req, ctx) {
      const userID = str(req, 'userID');
      const denied = checkAccessOnMain(ctx, userID);
      if (denied) return denied;
      const ids = ctx.model.records(userID).map((r) => r.conversationID);
      const hash = idHash(ids);
      const equal = req.idHash === hash;
      return {
        data: {
          version: ctx.model.recordVersion(userID),
          versionID: versionID(userID),
          equal,
          conversationIDs: equal ? null : ids,
        },
      };
    },
  },
  '/conversation/get_conversations': {
    request: P.GetConversationsReq,
    response: P.ConversationsResp,
    handle(req, ctx) {
      const owner = str(req, 'ownerUserID');
      if (owner === '') return argsError('ownerUserID is empty');
      const ids = (req.conversationIDs as string[] | null) ?? [];
      // An empty list reaches the RPC as nil, whose own Check rejects it.
      if (ids.length === 0) return argsError('conversationIDs is empty');
      const denied = checkAccessOnMain(ctx, owner);
      if (denied) return denied;
      const conversations = [...new Set(ids)].flatMap((id) => ctx.model.record(owner, id) ?? []);
      return { data: { conversations } };
    },
  },
  '/group/get_groups': {
    request: P.GetGroupsReq,
    response: P.GetGroupsResp,
    handle(req, ctx) {
      const invalid = checkPagination(req);
      if (invalid) return invalid;
      const groupID = str(req, 'groupID');
      if (groupID !== '') {
        const found = ctx.model.group(groupID) ? [groupID] : [];
        return { data: { total: found.length, groups: found.map((id) => cmsGroup(ctx, id)) } };
      }
      const pattern = mongoRegex(str(req, 'groupName'), '', ctx);
      if (!(pattern instanceof RegExp)) return { error: pattern };
      const groups = ctx.model
        .groups()
        .filter((g) => g.status !== 2 && pattern.test(g.groupName))
        .sort((a, b) => b.createTime - a.createTime);
      const { total, page } = findPage(groups, req.pagination as Pagination);
      return { data: { total, groups: page.map((g) => cmsGroup(ctx, g.groupID)) } };
    },
  },
  '/group/get_group_member_user_id': {
    request: P.GetGroupMemberUserIDsReq,
    response: P.GetGroupMemberUserIDsResp,
    handle(req, ctx) {
      const groupID = str(req, 'groupID');
      if (groupID === '') return argsError('GroupID is empty');
      const userIDs = ctx.model.members(groupID).map((m) => m.userID);
      if (!isAdmin(ctx) && !userIDs.includes(ctx.opUserID)) {
        const detail = ctx.variant === 'main' ? 'opUser in ownerUserIDs' : 'opUser no permission';
        return { error: codeError(P.ERR.noPermission, detail) };
      }
      return { data: { userIDs } };
    },
  },
};

/** `hashutil.IdHash`: the first 8 bytes of the md5 of the IDs' JSON, big-endian. */
export function idHash(ids: string[]): bigint {
  if (ids.length === 0) return 0n;
  const json = `[${ids.map(goString).join(',')}]`;
  return createHash('md5').update(json).digest().readBigUInt64BE(0);
}

/** A version log's ObjectID, deterministic per user. */
function versionID(userID: string): string {
  return createHash('md5').update(`conversation-version\u0000${userID}`).digest('hex').slice(0, 24);
}
