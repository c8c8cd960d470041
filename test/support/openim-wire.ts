/**
 * Requests exactly as OpenIM puts them on the wire: Go's `encoding/json` output of each callback's
 * struct (keys in struct order, no `omitempty`, `<>&` escaped, trailing newline from v3.7 on), the
 * URL form of each OpenIM version, and its headers.
 */

/** A message as OpenIM's Go struct holds it; `sendTime` exists only from v3.8.1 on. */
export interface OpenImMessage {
  sendID: string;
  callbackCommand: string;
  serverMsgID: string;
  clientMsgID: string;
  operationID: string;
  senderPlatformID: number;
  senderNickname: string;
  sessionType: number;
  msgFrom: number;
  contentType: number;
  status: number;
  sendTime?: number;
  createTime: number;
  content: string;
  seq: number;
  atUserList: string[] | null;
  faceURL: string;
  ex: string;
  recvID: string;
}

/** The OpenIM versions whose request shapes differ. */
export const OPENIM_VERSIONS = ['v2', 'v3.0', 'v3.5', 'v3.7', 'v3.8.1', 'main', 'docs'] as const;

/** One of {@link OPENIM_VERSIONS}. */
export type OpenImVersion = (typeof OPENIM_VERSIONS)[number];

/** The one-to-one after-send command. */
export const COMMAND = 'callbackAfterSendSingleMsgCommand';

/** Every message callback's command. */
export const COMMANDS = {
  single: COMMAND,
  group: 'callbackAfterSendGroupMsgCommand',
  saveDB: 'callbackAfterMsgSaveDBCommand',
  /** Sic: OpenIM's `CallbackAfterRevokeMsgCommand` holds this typo. */
  revoke: 'callbackBeforeAfterMsgCommand',
} as const;

/** The fields of Go's `CallbackAfterSendSingleMsgReq`, in struct order (the order on the wire). */
export const FIELD_ORDER = [
  'sendID',
  'callbackCommand',
  'serverMsgID',
  'clientMsgID',
  'operationID',
  'senderPlatformID',
  'senderNickname',
  'sessionType',
  'msgFrom',
  'contentType',
  'status',
  'sendTime',
  'createTime',
  'content',
  'seq',
  'atUserList',
  'faceURL',
  'ex',
  'recvID',
] as const;

/** Go's `encoding/json` string escaping on top of JSON.stringify: `<`, `>`, `&`, U+2028, U+2029. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The 18 fields every message callback starts with, in struct order. */
const COMMON_FIELDS = FIELD_ORDER.slice(0, -1);

/** Fields in `order`, as `version` encodes them: no `sendTime` before v3.8.1, newline from v3.7. */
function encodeFields(
  fields: Record<string, unknown>,
  order: readonly string[],
  version: OpenImVersion,
  extra: Record<string, unknown>,
): string {
  const hasSendTime = version === 'v3.8.1' || version === 'main' || version === 'docs';
  const ordered: Record<string, unknown> = {};
  for (const field of order) {
    if (field === 'sendTime' && !hasSendTime) continue;
    ordered[field] = field === 'sendTime' ? (fields.sendTime ?? fields.createTime) : fields[field];
  }
  Object.assign(ordered, extra);
  const newline = version === 'v3.7' || version === 'v3.8.1' || version === 'main';
  return goJson(ordered) + (newline ? '\n' : '');
}

/** The message as `version` encodes `CallbackAfterSendSingleMsgReq`. */
export function encodeBody(
  message: OpenImMessage,
  version: OpenImVersion,
  extra: Record<string, unknown> = {},
): string {
  return encodeFields({ ...message }, FIELD_ORDER, version, extra);
}

/** A group message as OpenIM's Go struct holds it: the common fields and `groupID`. */
export type OpenImGroupMessage = Omit<OpenImMessage, 'recvID'> & { groupID: string };

/** The message as `version` encodes `CallbackAfterSendGroupMsgReq`. */
export function encodeGroupBody(
  message: OpenImGroupMessage,
  version: OpenImVersion,
  extra: Record<string, unknown> = {},
): string {
  return encodeFields({ ...message }, [...COMMON_FIELDS, 'groupID'], version, extra);
}

/**
 * A message as OpenIM `main` encodes `CallbackAfterMsgSaveDBReq`: the common fields, then `recvID`
 * and `groupID`, both always there, `""` for the one that does not apply; its real `seq`.
 */
export function encodeSaveDbBody(
  message: OpenImMessage | OpenImGroupMessage,
  seq: number,
  extra: Record<string, unknown> = {},
): string {
  const fields = {
    recvID: '',
    groupID: '',
    ...message,
    callbackCommand: COMMANDS.saveDB,
    seq,
    operationID: `${message.operationID}-savedb`,
  };
  return encodeFields(fields, [...COMMON_FIELDS, 'recvID', 'groupID'], 'main', extra);
}

/** A revoke as OpenIM encodes `CallbackAfterRevokeMsgReq` (v3.8.x and `main`). */
export interface OpenImRevoke {
  conversationID: string;
  seq: number;
  userID: string;
}

/** The revoke's body, in struct order, with the trailing newline. */
export function encodeRevokeBody({ conversationID, seq, userID }: OpenImRevoke): string {
  return `${goJson({ callbackCommand: COMMANDS.revoke, conversationID, seq, userID })}\n`;
}

/** The path and query OpenIM `main` posts a callback to: `/<command>?key=<base64 JSON>`. */
export function mainRequestPath(
  command: string,
  key: { sendID?: string; recvID?: string; groupID?: string } = {},
): string {
  const encoded = Buffer.from(
    JSON.stringify({
      sendID: key.sendID ?? '',
      recvID: key.recvID ?? '',
      groupID: key.groupID ?? '',
    }),
  ).toString('base64');
  return `/${command}?key=${encodeURIComponent(encoded)}`;
}

/** The request target `version` posts to, relative to the configured base URL `/`. */
export function requestPath(message: OpenImMessage, version: OpenImVersion): string {
  switch (version) {
    case 'v2':
      return '/';
    case 'v3.0':
      return `/?command=${COMMAND}`;
    case 'main':
      return mainRequestPath(COMMAND, message);
    case 'docs':
      return `/${COMMAND}?contenttype=json`;
    default:
      return `/${COMMAND}`;
  }
}

/** The headers Go's `net/http` sends for OpenIM's callback. */
export function requestHeaders(message: OpenImMessage): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=utf-8',
    Operationid: message.operationID,
  };
}

/**
 * The `Authorization` value Go's net/http builds from the userinfo of OpenIM's url
 * (`http://user:password@host`).
 */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The body that v3.8 servers send, verbatim from the reference page. */
export const V38_EXAMPLE_BODY =
  '{"sendID":"user_a","callbackCommand":"callbackAfterSendSingleMsgCommand","serverMsgID":"0b2676769e9eceb4983cb12966586f48","clientMsgID":"f4ff79f97195113e3048bbfedb5748b6","operationID":"37a60d50-4799-4de2-bfc9-d9d0ccf2e8b5","senderPlatformID":5,"senderNickname":"Alice","sessionType":1,"msgFrom":100,"contentType":101,"status":1,"sendTime":1746797848316,"createTime":1746797847589,"content":"{\\"content\\":\\"hi\\"}","seq":0,"atUserList":null,"faceURL":"","ex":"","recvID":"user_b"}\n';

/** A plausible group message, varied by `n`, in one of a few numeric groups. */
export function sampleGroupMessage(
  n: number,
  overrides: Partial<OpenImGroupMessage> = {},
): OpenImGroupMessage {
  const { recvID: _recvID, ...common } = sampleMessage(n);
  return {
    ...common,
    callbackCommand: COMMANDS.group,
    sessionType: 3,
    atUserList: n % 4 === 0 ? [`${3_000_000_000 + (n % 5)}`] : null,
    groupID: `${3_069_284_561 + (n % 3)}`,
    ...overrides,
  };
}

/** A plausible text message, varied by `n`. */
export function sampleMessage(n: number, overrides: Partial<OpenImMessage> = {}): OpenImMessage {
  const hex = n.toString(16).padStart(32, '0');
  return {
    sendID: `user_${n % 7}`,
    callbackCommand: COMMAND,
    serverMsgID: `s${hex.slice(1)}`,
    clientMsgID: `c${hex.slice(1)}`,
    operationID: `op-${n}`,
    senderPlatformID: 1 + (n % 12),
    senderNickname: `Nick <${n}> & co`,
    sessionType: 1,
    msgFrom: n % 5 === 0 ? 200 : 100,
    contentType: 101,
    status: n % 5 === 0 ? 0 : 1,
    sendTime: 1_746_797_848_316 + n,
    createTime: 1_746_797_847_589 + n,
    content: JSON.stringify({ content: `hi #${n} <b>&amp;</b> \u2028 ✓ 😀` }),
    seq: 0,
    atUserList: n % 3 === 0 ? null : [`user_${(n + 1) % 7}`],
    faceURL: n % 2 === 0 ? '' : `https://example.com/face/${n}.png?a=1&b=2`,
    ex: '',
    recvID: `user_${(n + 3) % 7}`,
    ...overrides,
  };
}
