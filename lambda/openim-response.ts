/**
 * Every answer in OpenIM's `CommonCallbackResp` shape. OpenIM never reads the HTTP status, only this
 * body; a body that is not this JSON is a "response format error" on its side.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { createError, type HttpError } from '@middy/util';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** OpenIM's callback response body. */
export interface OpenImResponseBody {
  /** 0 on success; 1 on any error. */
  readonly actionCode: number;
  /** 0 on success; the HTTP status on an error. */
  readonly errCode: number;
  /** What went wrong, for a person. */
  readonly errMsg: string;
  /** Which fields or settings are at fault. */
  readonly errDlt: string;
  /** Always 0: `actionCode` 0 with `nextCode` 1 would abort the sender's operation in OpenIM. */
  readonly nextCode: 0;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The exact success body OpenIM expects. */
export const SUCCESS_BODY = JSON.stringify({
  actionCode: 0,
  errCode: 0,
  errMsg: '',
  errDlt: '',
  nextCode: 0,
} satisfies OpenImResponseBody);

/** The success response. */
export function successResponse(): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 200, headers: { ...JSON_HEADERS }, body: SUCCESS_BODY };
}

/** An error response; `errMsg` and `errDlt` must never quote message content. */
export function errorResponse(
  statusCode: number,
  errMsg: string,
  errDlt: string,
): APIGatewayProxyStructuredResultV2 {
  const body: OpenImResponseBody = {
    actionCode: 1,
    errCode: statusCode,
    errMsg,
    errDlt,
    nextCode: 0,
  };
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/** An HTTP error carrying OpenIM's `errDlt`. */
export type CallbackError = HttpError & { readonly errDlt?: string };

/**
 * Creates an HTTP error whose response names the offending fields in `errDlt`. Its text is written
 * for OpenIM's operator and never quotes message content, so it is shown even on a 5xx.
 */
export function callbackError(statusCode: number, errMsg: string, errDlt: string): CallbackError {
  return Object.assign(createError(statusCode, errMsg, { expose: true }), { errDlt });
}

/** The text that replaces any error not raised on purpose; its cause stays out of the answer. */
export const INTERNAL_ERROR_MESSAGE = 'Internal error';

/** Details for the errors that middy's own middlewares raise, which carry no `errDlt`. */
const DEFAULT_DETAILS: Readonly<Record<number, string>> = {
  415: 'Content-Type must be application/json',
  422: 'the body is not valid JSON',
  500: 'the receiver failed; the message was not stored',
};

/** The message of the body parser's refusal of a prototype-polluting key. */
const FORBIDDEN_KEY = 'Forbidden key in JSON body';

/** `errDlt` for an error that has none of its own. */
function defaultDetails(statusCode: number, error: CallbackError | null): string {
  if (statusCode === 422 && error?.message === FORBIDDEN_KEY) {
    return 'the body has a __proto__ or constructor.prototype key, which is refused';
  }
  return DEFAULT_DETAILS[statusCode] ?? '';
}

/**
 * Reshapes the response that `@middy/http-error-handler` built from an error into OpenIM's body,
 * and logs the refusal (status and reason only). Use it before the error handler, so that its
 * `onError` runs after the handler's.
 */
export function openimErrorBody(logger: Logger): MiddlewareObj {
  return {
    onError: (request) => {
      // The error handler has already swapped any unexposed error for its fallback.
      const response = request.response as APIGatewayProxyStructuredResultV2 | undefined;
      const statusCode = response?.statusCode ?? 500;
      const error = request.error as CallbackError | null;
      const errMsg = error?.message || INTERNAL_ERROR_MESSAGE;
      const errDlt = error?.errDlt || defaultDetails(statusCode, error);
      const shaped = errorResponse(statusCode, errMsg, errDlt);
      // Keep headers the error asked for (e.g. WWW-Authenticate), but not its plain-text type.
      const extra = Object.entries(response?.headers ?? {}).filter(
        ([name]) => name.toLowerCase() !== 'content-type',
      );
      request.response = {
        ...shaped,
        headers: { ...Object.fromEntries(extra), ...shaped.headers },
      };
      const log = statusCode >= 500 ? logger.error : logger.warn;
      log.call(logger, 'Callback refused', { statusCode, errMsg, errDlt });
    },
  };
}
