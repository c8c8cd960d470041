/**
 * A test double of OpenIM's REST API (v3.8.3-patch.16 or main), built from
 * `/work/shared/reference/openim-rest-api.md` and the server source: an in-process HTTP server
 * that answers the routes a reconciling client uses exactly as gin and OpenIM's middleware do,
 * over data tests set up through {@link OpenImModel}. It logs every request and can be told to
 * fail. Run it alone for a seeded demo: `node test/support/fake-openim.ts [--port 10002]
 * [--variant v3.8.3|main] [--secret S]`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { codeError, type OpenImError, TokenStore } from './fake-openim-auth.ts';
import {
  decodeRequest,
  encodeStruct,
  GoJsonError,
  type OpenImVariant,
} from './fake-openim-json.ts';
import { OpenImModel } from './fake-openim-model.ts';
import { ERR } from './fake-openim-protocol.ts';
import { ROUTES, type RouteContext } from './fake-openim-routes.ts';
import { seedDemo } from './fake-openim-seed.ts';

/** Re-exported so that tests import the whole fake from this module. */
export type { OpenImVariant } from './fake-openim-json.ts';
/** The fake's data, re-exported for tests that type it. */
export { OpenImModel } from './fake-openim-model.ts';
/** The demo seeding, re-exported beside the demo that runs it. */
export { seedDemo } from './fake-openim-seed.ts';

/** How to start the fake. */
export interface FakeOpenImOptions {
  variant: OpenImVariant;
  /** `share.yml` `secret`; default `openIM123`. */
  secret?: string;
  /** The admin user IDs; default `['imAdmin']`. */
  adminUserIDs?: readonly string[];
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The server's clock in ms (tokens, default send times); default `Date.now`. */
  now?: () => number;
}

/** One request as the fake received it, and how it answered. */
export interface RecordedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
  /** The HTTP status, or 0 when the fault closed the socket. */
  status: number;
  /** The envelope's errCode, or undefined for a body that is no envelope. */
  errCode: number | undefined;
}

/** What the next requests to a path suffer instead of (or before) being served. */
export type Fault =
  | { kind: 'error'; errCode: number; errMsg?: string; errDlt?: string }
  | { kind: 'http500' }
  | { kind: 'tooManyRequests'; retryAfter?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'closeSocket' };

/** A running fake. */
export interface FakeOpenIm {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  readonly variant: OpenImVariant;
  readonly secret: string;
  readonly adminUserIDs: readonly string[];
  readonly model: OpenImModel;
  /** Every request so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** The next `times` requests whose path matches suffer `fault` (a delay then proceeds). */
  fail(path: string | RegExp, fault: Fault, times?: number): void;
  /** A stored token for a non-admin user, as `/auth/get_user_token` would issue (platform 1 = iOS). */
  userToken(userID: string, platformID?: number): string;
  /** Marks the user's tokens kicked (errCode 1506 from then on), as a forced logout does. */
  kick(userID: string, platformID?: number): void;
  close(): Promise<void>;
}

/** The headers gin's `CorsHandler` sets on every response it reaches. */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, Access-Control-Allow-Origin, Access-Control-Allow-Headers,Cache-Control,Content-Language,Content-Type,Expires,Last-Modified,Pragma,FooBar',
  'Access-Control-Max-Age': '172800',
  'Access-Control-Allow-Credentials': 'false',
};

/** The paths `GinParseToken` lets through without a token (matched as prefixes). */
const TOKEN_WHITELIST = ['/auth/get_admin_token', '/auth/parse_token'];

/** The envelope `apiresp` writes: `data` left out on error. */
function envelope(result: { error: OpenImError } | { data: string }): string {
  if ('error' in result) {
    const { errCode, errMsg, errDlt } = result.error;
    return encodeStruct(
      {
        go: 'apiresp.ApiResponse',
        fields: [
          ['errCode', { t: 'int', go: 'int64' }],
          ['errMsg', { t: 'string' }],
          ['errDlt', { t: 'string' }],
        ],
      },
      { errCode, errMsg, errDlt },
      'v3.8.3',
    );
  }
  return `{"errCode":0,"errMsg":"","errDlt":"","data":${result.data}}`;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function jsonReply(body: string, status = 200, cors = true): Reply {
  return {
    status,
    // CorsHandler sets `application/json` first, so gin's render keeps it without a charset.
    headers: cors
      ? { ...CORS_HEADERS, 'Content-Type': 'application/json' }
      : { 'Content-Type': 'application/json; charset=utf-8' },
    body,
  };
}

function errorReply(error: OpenImError): Reply {
  return jsonReply(envelope({ error }));
}

/** Starts the fake on `host:port`. */
export async function startFakeOpenIm(options: FakeOpenImOptions): Promise<FakeOpenIm> {
  const variant = options.variant;
  const secret = options.secret ?? 'openIM123';
  const adminUserIDs = [...(options.adminUserIDs ?? ['imAdmin'])];
  const now = options.now ?? Date.now;
  const model = new OpenImModel({ variant, adminUserIDs, now });
  const tokens = new TokenStore({ variant, secret, adminUserIDs, now });
  const requests: RecordedRequest[] = [];
  const faults: { path: string | RegExp; fault: Fault; left: number }[] = [];

  const takeFault = (path: string): Fault | undefined => {
    const entry = faults.find(
      (f) => f.left > 0 && (typeof f.path === 'string' ? f.path === path : f.path.test(path)),
    );
    if (!entry) return undefined;
    entry.left--;
    return entry.fault;
  };

  /** gin's pipeline: CORS, operationID, token, then the route or gin's 404. */
  const serve = (
    method: string,
    path: string,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ): Reply => {
    const notFound: Reply = {
      status: 404,
      headers: { ...CORS_HEADERS, 'Content-Type': 'text/plain' },
      body: '404 page not found',
    };
    if (method === 'OPTIONS') return jsonReply('"Options Request!"');
    if (method !== 'POST') return notFound;
    const route = ROUTES[path];
    // gin redirects a trailing-slash variant of a route before any middleware runs.
    const twin = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
    if (!route && ROUTES[twin]) {
      return { status: 307, headers: { Location: twin }, body: '' };
    }
    const operationID = headers.operationid;
    if (typeof operationID !== 'string' || operationID === '') {
      return errorReply(codeError(ERR.args, 'header must have operationID'));
    }
    let opUserID = '';
    if (!TOKEN_WHITELIST.some((prefix) => path.startsWith(prefix))) {
      const token = headers.token;
      if (typeof token !== 'string' || token === '') {
        return errorReply(codeError(ERR.args, 'header must have token'));
      }
      const parsed = tokens.parse(token);
      if ('error' in parsed) return errorReply(parsed.error);
      opUserID = parsed.claims.userID;
    }
    if (!route) return notFound;
    let request: Record<string, unknown>;
    try {
      request = decodeRequest(body, route.request);
    } catch (error) {
      if (!(error instanceof GoJsonError)) throw error;
      // a2r puts the decoder's text (wrapped twice by errs.Wrap, frames left out) in errMsg.
      return errorReply({
        errCode: ERR.args[0],
        errMsg: `Error: Error: ${error.message}`,
        errDlt: '',
      });
    }
    const ctx: RouteContext = { model, tokens, variant, secret, adminUserIDs, opUserID };
    const result = route.handle(request, ctx);
    if ('error' in result) return errorReply(result.error);
    return jsonReply(envelope({ data: encodeStruct(route.response, result.data, variant) }));
  };

  const send = (req: IncomingMessage, res: ServerResponse, reply: Reply): void => {
    const accept = req.headers['accept-encoding'] ?? '';
    const connection = req.headers.connection ?? '';
    const gzip =
      String(accept).includes('gzip') &&
      !String(connection).includes('Upgrade') &&
      !String(req.headers.accept ?? '').includes('text/event-stream') &&
      reply.status !== 307;
    const headers: Record<string, string> = { ...reply.headers };
    let bytes = Buffer.from(reply.body);
    if (gzip) {
      // gin-contrib/gzip v1.0.1 closes its writer even after an empty body: an empty gzip stream.
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = 'Accept-Encoding';
      bytes = gzipSync(bytes);
    }
    headers['Content-Length'] = String(bytes.length);
    res.writeHead(reply.status, headers);
    res.end(bytes);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks));
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const rawBody = body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      parsed = undefined;
    }
    const entry: RecordedRequest = {
      method,
      path,
      headers: { ...req.headers },
      rawBody,
      body: parsed,
      status: 0,
      errCode: undefined,
    };
    requests.push(entry);
    let reply: Reply | undefined;
    const fault = takeFault(path);
    if (fault?.kind === 'delay') await sleep(fault.ms);
    else if (fault?.kind === 'closeSocket') {
      req.socket.destroy();
      return;
    } else if (fault?.kind === 'http500') {
      reply = { status: 500, headers: {}, body: '' };
    } else if (fault?.kind === 'tooManyRequests') {
      // main's BBR limiter runs before CorsHandler; its 429 carries OpenIM's envelope.
      reply = jsonReply(
        envelope({
          error: { errCode: 429, errMsg: 'too many requests, please try again later', errDlt: '' },
        }),
        429,
        false,
      );
      Object.assign(reply.headers, {
        'X-RateLimit-Policy': 'BBR',
        'Retry-After': String(fault.retryAfter ?? 1),
        'X-RateLimit-Limit': '0',
        'X-RateLimit-Remaining': '0',
      });
    } else if (fault?.kind === 'error') {
      const known = Object.values(ERR).find(([code]) => code === fault.errCode);
      reply = errorReply({
        errCode: fault.errCode,
        errMsg: fault.errMsg ?? known?.[1] ?? '',
        errDlt: fault.errDlt ?? '',
      });
    }
    if (!reply) {
      try {
        reply = serve(method, path, req.headers, body);
      } catch {
        // gin's recovery: a panic is a 500 with no body.
        reply = { status: 500, headers: {}, body: '' };
      }
    }
    entry.status = reply.status;
    if (reply.body.startsWith('{'))
      entry.errCode = (JSON.parse(reply.body) as { errCode: number }).errCode;
    send(req, res, reply);
  };

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    variant,
    secret,
    adminUserIDs,
    model,
    requests,
    fail(path, fault, times = 1) {
      faults.push({ path, fault, left: times });
    },
    userToken(userID, platformID = 1) {
      if (!model.user(userID)) throw new Error(`userToken: no user ${userID}`);
      if (adminUserIDs.includes(userID)) throw new Error("userToken: don't get Admin token");
      return tokens.create(userID, platformID);
    },
    kick(userID, platformID) {
      tokens.kick(userID, platformID);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The route groups the demo lists, in router order. */
const ROUTE_GROUPS = ['auth', 'msg', 'user', 'conversation', 'group'];

/** The demo: a seeded fake until Ctrl-C or SIGTERM. */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string', default: '10002' },
      host: { type: 'string', default: '127.0.0.1' },
      variant: { type: 'string', default: 'v3.8.3' },
      secret: { type: 'string', default: 'openIM123' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run fake-openim -- [--port 10002] [--host 127.0.0.1] [--variant v3.8.3|main] ' +
        "[--secret openIM123]\n  a fake of OpenIM's REST API with a small demo, for trials and " +
        'the worked example in docs/finding-and-counting.md\n',
    );
    return;
  }
  if (values.variant !== 'v3.8.3' && values.variant !== 'main') {
    throw new Error(`--variant must be v3.8.3 or main, not ${values.variant}`);
  }
  const fake = await startFakeOpenIm({
    variant: values.variant,
    secret: values.secret,
    port: Number(values.port),
    host: values.host,
  });
  seedDemo(fake.model);
  const lines = [
    `Fake OpenIM (${values.variant === 'main' ? 'main' : 'v3.8.3-patch.16'}) on ${fake.url} — every route is POST with an operationID header`,
  ];
  for (const group of ROUTE_GROUPS) {
    const paths = Object.keys(ROUTES).filter((path) => path.startsWith(`/${group}/`));
    lines.push(`  ${`${group}:`.padEnd(14)}${paths.join(' ')}`);
  }
  lines.push(
    `  secret: ${fake.secret}   admin userID: ${fake.adminUserIDs[0]}   (POST /auth/get_admin_token {"secret","userID"}, then send the token in a "token" header)`,
    'Ctrl-C stops it.',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: stopping\n`);
    fake.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(
      `fake-openim: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
