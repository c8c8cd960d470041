/**
 * The traffic every benchmark sends: OpenIM v3.8 `callbackAfterSendSingleMsgCommand` requests as Go
 * puts them on the wire, with the Basic-auth header that OpenIM derives from its URL's userinfo.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toHttpApiEvent } from '../local/http-api-event.ts';

/** The callback this receiver serves. */
export const COMMAND = 'callbackAfterSendSingleMsgCommand';

/** The path OpenIM v3.5 and later post to. */
export const CALLBACK_PATH = `/${COMMAND}`;

/** The credentials the benchmark gives the receiver (`WEBHOOK_CREDENTIALS`) and OpenIM's URL. */
export const BENCH_CREDENTIALS = 'bench:bench-password';

/** The `Authorization` header Go's `net/http` sends for `https://bench:bench-password@host`. */
export const AUTHORIZATION = `Basic ${Buffer.from(BENCH_CREDENTIALS).toString('base64')}`;

/** OpenIM's exact success answer. */
export const SUCCESS_BODY = '{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}';

/** The host name API Gateway would put in the event. */
const API_HOST = 'abc123defg.execute-api.eu-west-1.amazonaws.com';

/** Go's `encoding/json` string escaping on top of JSON.stringify: `<`, `>`, `&`, U+2028, U+2029. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The n-th benchmark message, in Go's struct order; `run` keeps IDs unique across runs. */
export function messageFields(n: number, run = 'b'): Record<string, unknown> {
  const hex = n.toString(16).padStart(24, '0');
  return {
    sendID: `user_${n % 97}`,
    callbackCommand: COMMAND,
    serverMsgID: `${run}${hex}`.padStart(32, '0'),
    clientMsgID: `c${hex}`.padStart(32, '0'),
    operationID: `37a60d50-4799-4de2-bfc9-${hex.slice(-12)}`,
    senderPlatformID: 1 + (n % 12),
    senderNickname: `Alice #${n % 97}`,
    sessionType: 1,
    msgFrom: 100,
    contentType: 101,
    status: 1,
    sendTime: 1_746_797_848_316 + n,
    createTime: 1_746_797_847_589 + n,
    content: goJson({ content: `message ${n}: see you at 5 <b>&</b> bring the slides 👍` }),
    seq: 0,
    atUserList: null,
    faceURL: `https://cdn.example.com/face/${n % 97}.png`,
    ex: '',
    recvID: `user_${(n + 31) % 97}`,
  };
}

/** The n-th request body, exactly as OpenIM v3.8 sends it (json.Encoder: trailing newline). */
export function messageBody(n: number, run = 'b'): string {
  return `${goJson(messageFields(n, run))}\n`;
}

/** The headers OpenIM's Go client sends for a body, with the credentials from its URL. */
export function requestHeaders(body: string, operationID: string): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    operationid: operationID,
    authorization: AUTHORIZATION,
    'user-agent': 'Go-http-client/1.1',
    'accept-encoding': 'gzip',
  };
}

/** The HTTP API (payload v2) event that API Gateway builds for the n-th request. */
export function callbackEvent(n: number, run = 'b'): APIGatewayProxyEventV2 {
  const fields = messageFields(n, run);
  const body = `${goJson(fields)}\n`;
  return toHttpApiEvent(
    {
      method: 'POST',
      url: CALLBACK_PATH,
      headers: { host: API_HOST, ...requestHeaders(body, String(fields.operationID)) },
      body: Buffer.from(body, 'utf8'),
      sourceIp: '203.0.113.10',
    },
    `POST ${CALLBACK_PATH}`,
  );
}
