/**
 * Builds the API Gateway HTTP API (payload v2) event that API Gateway would send for a request, so
 * the local server calls the deployed handler exactly as AWS does.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The parts of an HTTP request that the event is made from. */
export interface RawRequest {
  /** HTTP method, e.g. `POST`. */
  readonly method: string;
  /** The request target: path and query string, e.g. `/?command=x`. */
  readonly url: string;
  /** Headers as Node parsed them (names lower-case; repeated headers as arrays). */
  readonly headers: IncomingHttpHeaders;
  /** The body bytes. */
  readonly body: Buffer;
  /** The client's IP address. */
  readonly sourceIp: string;
}

/** The route keys a deployment serves, in API Gateway's `METHOD /path` form. */
export type RouteKey = `${string} /${string}`;

/** Content types API Gateway passes as text; any other body arrives base64-encoded. */
const TEXT_CONTENT_TYPE = /^(text\/|application\/([a-z0-9.+-]+\+)?(json|xml|javascript)\b)/i;

/** Query parameters as API Gateway gives them: repeated names joined with commas. */
function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const [name, value] of search) {
    result[name] = name in result ? `${result[name]},${value}` : value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** Headers as API Gateway gives them: lower-case names, repeated values joined with commas. */
function headerMap(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && name !== 'cookie') {
      result[name] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return result;
}

/** The HTTP API v2 event for a request that matched `routeKey` on the `$default` stage. */
export function toHttpApiEvent(request: RawRequest, routeKey: RouteKey): APIGatewayProxyEventV2 {
  // Prefixing (not resolving) keeps a path like `//x` a path rather than a host.
  const url = new URL(`http://localhost${request.url}`);
  const headers = headerMap(request.headers);
  const isText = TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
  const now = new Date();
  const cookies = request.headers.cookie?.split(/;\s*/);
  const queryStringParameters = queryParameters(url.searchParams);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(cookies ? { cookies } : {}),
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body.length > 0
      ? {
          body: isText ? request.body.toString('utf8') : request.body.toString('base64'),
        }
      : {}),
    isBase64Encoded: request.body.length > 0 && !isText,
  };
}
