/**
 * The local stand-in for API Gateway: a Node HTTP server that routes like the deployed HTTP API,
 * turns each request into the same payload v2 event and calls the same Lambda handler.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CALLBACK_PATHS } from '../lambda/callbacks.ts';
import { errorResponse } from '../lambda/openim-response.ts';
import type { ReceiverHandler } from '../lambda/receiver.ts';
import { type RouteKey, toHttpApiEvent } from './http-api-event.ts';
import { lambdaContext } from './lambda-context.ts';

/** Options for {@link createReceiverServer}. */
export interface ReceiverServerOptions {
  /** The Lambda handler to call for each request. */
  readonly handler: ReceiverHandler;
  /** Largest body accepted, in bytes. @default 6 MiB, Lambda's limit for a synchronous event */
  readonly maxBodyBytes?: number;
  /**
   * Time allowed for the body once the headers are in, in ms; then the answer is a 408, so that
   * OpenIM hears it before its own timeout (5 s by default) cuts the request without a reason.
   * @default 3_000
   */
  readonly bodyTimeoutMs?: number;
  /** Time allowed for the headers, in ms; then the answer is a 408. @default 3_000 */
  readonly headersTimeoutMs?: number;
  /** Told of each request the server refuses itself, before the handler sees it. */
  readonly onRefusal?: (refusal: Refusal) => void;
}

/** A request the server refused itself: its status and OpenIM's `errMsg` and `errDlt`. */
export interface Refusal {
  readonly statusCode: number;
  readonly errMsg: string;
  readonly errDlt: string;
}

/** Lambda's 6 MB limit on a synchronous invocation's payload. */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Writes a handler result (or an OpenIM-shaped error) to the socket. */
function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  if (response.headersSent) return;
  const body = result.body ?? '';
  response.writeHead(result.statusCode ?? 200, {
    ...result.headers,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** What became of a request's body. */
type BodyResult = Buffer | 'too-large' | 'timeout';

/**
 * Reads the whole body; stops as soon as it passes `limit` bytes, or when it is not complete within
 * `timeoutMs`. Plain stream events, not `for await`: the async iterator costs CPU on every request
 * (see BENCHMARKS.md).
 */
function readBody(request: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      clearTimeout(timer);
      request.destroy();
      resolve('too-large');
    });
    request.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // A connection cut before the body ended settles too (after 'end' this changes nothing).
    request.on('close', () => {
      clearTimeout(timer);
      reject(new Error('the request was cut off before its body ended'));
    });
  });
}

/**
 * The client's address as API Gateway reports it: an IPv4 client as plain IPv4, never in the
 * IPv4-mapped form (`::ffff:172.17.0.2`) a dual-stack listener (`HOST=::`) sees, which an IPv4
 * allowlist entry would not match.
 */
export function sourceIpOf(remoteAddress: string | undefined): string {
  const address = remoteAddress ?? '127.0.0.1';
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice('::ffff:'.length) : address;
}

/** The route key a request matches, as API Gateway would match it, or why it matches none. */
function matchRoute(method: string, path: string): RouteKey | 404 | 405 {
  if (!CALLBACK_PATHS.includes(path)) return 404;
  if (method !== 'POST') return 405;
  return `POST ${path}` as RouteKey;
}

/** The local receiver's HTTP server. */
export interface ReceiverServer {
  /** The underlying Node server. */
  readonly server: Server;
  /** Starts listening; resolves with the bound address (pass port 0 for any free port). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops taking connections and resolves once every request in flight has been answered.
   * Connections still open after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** Creates (but does not start) the local receiver's HTTP server. */
export function createReceiverServer({
  handler,
  maxBodyBytes = LAMBDA_PAYLOAD_BYTES,
  bodyTimeoutMs = 3_000,
  headersTimeoutMs = 3_000,
  onRefusal = () => undefined,
}: ReceiverServerOptions): ReceiverServer {
  /** The answer to a request refused before the handler, reported to `onRefusal`. */
  const refusal = (statusCode: number, errMsg: string, errDlt: string) => {
    onRefusal({ statusCode, errMsg, errDlt });
    return errorResponse(statusCode, errMsg, errDlt);
  };

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = matchRoute(method, path);
    if (route === 404) {
      return send(response, refusal(404, 'Not found', `no route for ${method} ${path}`));
    }
    if (route === 405) {
      return send(response, refusal(405, 'Method not allowed', 'OpenIM posts callbacks'));
    }
    const body = await readBody(request, maxBodyBytes, bodyTimeoutMs);
    if (body === 'too-large') {
      response.setHeader('connection', 'close');
      return send(
        response,
        refusal(413, 'The request body is too large', `at most ${maxBodyBytes} bytes`),
      );
    }
    if (body === 'timeout') {
      // The rest of the body may never come: answer now, then close the connection.
      response.setHeader('connection', 'close');
      return send(
        response,
        refusal(
          408,
          'The request body did not arrive in time',
          `the body was not complete ${bodyTimeoutMs} ms after the headers; is Content-Length larger than the body?`,
        ),
      );
    }
    const event = toHttpApiEvent(
      {
        method,
        url: request.url ?? '/',
        headers: request.headers,
        body,
        sourceIp: sourceIpOf(request.socket.remoteAddress),
      },
      route,
    );
    const result = await handler(event, lambdaContext(event.requestContext.requestId));
    // Once the server is closing, keep-alive clients must not send more on this connection.
    if (!server.listening) response.shouldKeepAlive = false;
    send(response, result);
  };

  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      // A backstop only: the body's own timer answers first.
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1_000,
      // How often Node looks for those timeouts (30 s by default, far past OpenIM's).
      connectionsCheckingInterval: Math.min(500, headersTimeoutMs),
    },
    (req, res) => {
      serve(req, res).catch(() => {
        // The handler answers every error itself; this is a failure of the server around it.
        send(res, errorResponse(500, 'Internal error', 'the local server failed'));
      });
    },
  );

  // Malformed or too slow HTTP never reaches a handler: answer it in OpenIM's shape and drop the
  // connection.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Once a response has begun on this socket, nothing more can be said on it.
    const current = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    // A reset connection is a client gone, not a request to answer.
    if (!socket.writable || current?.headersSent || error.code === 'ECONNRESET') {
      return socket.destroy();
    }
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const answer = timedOut
      ? refusal(
          408,
          'The request did not arrive in time',
          `its headers were not complete within ${headersTimeoutMs} ms`,
        )
      : refusal(400, 'Malformed HTTP request', 'the request is not valid HTTP/1.1');
    const status = answer.statusCode ?? 400;
    const text = answer.body ?? '';
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    async listen(port, host) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        // Stop accepting; requests in flight finish and are answered, then their sockets close.
        server.close(() => resolve());
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
      });
      return closing;
    },
  };
}
