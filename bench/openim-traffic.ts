/**
 * The traffic every benchmark sends: OpenIM v3.8.1 `callbackAfterSendSingleMsgCommand` requests,
 * encoded by the tests' wire module, with the Basic-auth header Go derives from the URL's userinfo.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toHttpApiEvent } from '../local/http-api-event.ts';
import {
  COMMAND,
  encodeBody,
  goJson,
  type OpenImMessage,
  requestHeaders,
} from '../test/support/openim-wire.ts';

/** The path OpenIM v3.5 and later post to. */
export const CALLBACK_PATH = `/${COMMAND}`;

/** The credentials the receiver is given (`WEBHOOK_CREDENTIALS`) and OpenIM's URL carries. */
export const BENCH_CREDENTIALS = 'bench:bench-password';

/** The host name API Gateway would put in the event. */
const API_HOST = 'abc123defg.execute-api.eu-west-1.amazonaws.com';

/** The n-th benchmark message; `run` keeps IDs unique across the kinds of load in one table. */
export function benchMessage(n: number, run: string): OpenImMessage {
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

/** The n-th request's body and headers (lower-case names), as OpenIM's Go client sends them. */
export function benchRequest(n: number, run: string) {
  const message = benchMessage(n, run);
  const body = encodeBody(message, 'v3.8.1');
  const goHeaders = Object.entries(requestHeaders(message)).map(([k, v]) => [k.toLowerCase(), v]);
  const headers: Record<string, string> = {
    ...Object.fromEntries(goHeaders),
    'content-length': String(Buffer.byteLength(body)),
    authorization: `Basic ${Buffer.from(BENCH_CREDENTIALS).toString('base64')}`,
    'user-agent': 'Go-http-client/1.1',
    'accept-encoding': 'gzip',
  };
  return { message, body, headers };
}

/** The HTTP API (payload v2) event that API Gateway builds for the n-th request. */
export function callbackEvent(n: number, run: string): APIGatewayProxyEventV2 {
  const { body, headers } = benchRequest(n, run);
  const request = { method: 'POST', url: CALLBACK_PATH, headers: { host: API_HOST, ...headers } };
  const client = { body: Buffer.from(body, 'utf8'), sourceIp: '203.0.113.10' };
  return toHttpApiEvent({ ...request, ...client }, `POST ${CALLBACK_PATH}`);
}
