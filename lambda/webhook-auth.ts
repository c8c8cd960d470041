/**
 * Who gets in. OpenIM cannot sign a callback or add a header, but Go's `net/http` turns the userinfo
 * of its webhook URL (`https://openim:SECRET@host`) into `Authorization: Basic`. This module checks
 * that header, in constant time, before anything else runs: an unauthenticated request never
 * reaches the body parser or DynamoDB.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callbackError } from './openim-response.ts';

/** A user name and password that OpenIM may present. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * The credentials accepted right now: the current ones, and while a rotation is under way the
 * previous ones. `undefined` from `current` turns the check off (local runs without credentials).
 */
export interface CredentialSource {
  /** The current credentials, or `undefined` when no check is configured. */
  current(): Promise<Credentials | undefined>;
  /**
   * Other credentials to accept, asked only when the current ones do not match: the previous
   * version, and the current one read afresh in case it changed since it was cached.
   */
  others(): Promise<readonly Credentials[]>;
}

/** Parses `user:password`, as in `WEBHOOK_CREDENTIALS`; throws with the fix if it is malformed. */
export function parseCredentials(text: string): Credentials {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new Error('credentials must look like user:password, both parts non-empty');
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Where the webhook credentials come from: a Secrets Manager secret, fixed ones, or none. */
export type CredentialOrigin =
  | { readonly kind: 'secret'; readonly secretId: string }
  | { readonly kind: 'static'; readonly credentials: Credentials }
  | { readonly kind: 'open' };

/** The environment variables {@link credentialOrigin} reads; empty counts as unset. */
export interface CredentialEnvironment {
  /** Set by Lambda in every function, and nowhere else this code runs. */
  readonly AWS_LAMBDA_FUNCTION_NAME?: string | undefined;
  /** The secret holding `{"username":…,"password":…}`; the stack sets it. */
  readonly WEBHOOK_SECRET_ARN?: string | undefined;
  /** `user:password`, for `npm start`. */
  readonly WEBHOOK_CREDENTIALS?: string | undefined;
}

/**
 * Which credentials to require. In Lambda, the secret and nothing else: without it the function
 * would store whatever anyone posts, and a password in `WEBHOOK_CREDENTIALS` would sit in plain
 * text in the function's configuration. Elsewhere the secret, else `WEBHOOK_CREDENTIALS`, else
 * none (`npm start` allows none only on loopback). Throws, naming the fix, when the rule is broken.
 */
export function credentialOrigin(env: CredentialEnvironment): CredentialOrigin {
  const secretId = env.WEBHOOK_SECRET_ARN || undefined;
  const text = env.WEBHOOK_CREDENTIALS || undefined;
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    if (text !== undefined) {
      throw new Error(
        'WEBHOOK_CREDENTIALS is set in Lambda, where it would keep a password in plain text in the ' +
          "function's configuration; it is for npm start only. Fix: remove it, and let the " +
          'function read its credentials from the secret in WEBHOOK_SECRET_ARN (npx cdk deploy sets it)',
      );
    }
    if (secretId === undefined) {
      throw new Error(
        'WEBHOOK_SECRET_ARN is not set, and in Lambda the function refuses to run without ' +
          'credentials: it would store whatever anyone posts. Fix: deploy with npx cdk deploy, ' +
          "which sets WEBHOOK_SECRET_ARN to the stack's webhook secret",
      );
    }
  }
  if (secretId !== undefined) return { kind: 'secret', secretId };
  if (text === undefined) return { kind: 'open' };
  try {
    return { kind: 'static', credentials: parseCredentials(text) };
  } catch (error) {
    // The message describes the form, never the value: it holds a password.
    throw new Error(`WEBHOOK_CREDENTIALS is invalid: ${(error as Error).message}`);
  }
}

/** A source with fixed credentials, or none (the check is off). */
export function staticCredentials(credentials: Credentials | undefined): CredentialSource {
  return { current: async () => credentials, others: async () => [] };
}

/** The credentials in an `Authorization: Basic` header, if it holds any. */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** SHA-256 of `user:password`, so that credentials of any length compare in constant time. */
function digest({ username, password }: Credentials): Buffer {
  return hash('sha256', `${username}\0${password}`, 'buffer');
}

/** Digests of configured credentials, computed once per credentials object. */
const expectedDigests = new WeakMap<Credentials, Buffer>();

/** The digest of configured credentials, from the cache when this object was seen before. */
function expectedDigest(credentials: Credentials): Buffer {
  let value = expectedDigests.get(credentials);
  if (!value) {
    value = digest(credentials);
    expectedDigests.set(credentials, value);
  }
  return value;
}

/**
 * Whether two sets of credentials are equal, taking the same time whatever differs. Only the
 * expected side is cached: the given side is a new object on every request.
 */
export function credentialsMatch(given: Credentials, expected: Credentials): boolean {
  return timingSafeEqual(digest(given), expectedDigest(expected));
}

/** The status OpenIM's operator sees for a refused request, and why. */
const UNAUTHORIZED = {
  errMsg: 'Credentials are missing or wrong',
  errDlt: 'put the user and password in the webhooks.yml url: http(s)://USER:PASSWORD@host',
} as const;

/** Asks the source, turning its failure into a 503 that says what happened. */
async function ask<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch {
    throw callbackError(
      503,
      'The receiver cannot check credentials right now',
      'its credentials store is unreachable; the message was not stored',
    );
  }
}

/**
 * Refuses, with 401, any request that lacks the configured Basic credentials. Goes first in the
 * chain, so that a refused request costs no parsing and no storage call.
 */
export function webhookAuth(source: CredentialSource): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const expected = await ask(source.current);
      if (expected === undefined) return;
      const headers = request.event.headers ?? {};
      const given = parseBasicAuthorization(headers.authorization ?? headers.Authorization);
      if (given !== undefined && credentialsMatch(given, expected)) return;
      if (given !== undefined) {
        const others = await ask(source.others);
        if (others.some((accepted) => credentialsMatch(given, accepted))) return;
      }
      throw Object.assign(callbackError(401, UNAUTHORIZED.errMsg, UNAUTHORIZED.errDlt), {
        headers: { 'WWW-Authenticate': 'Basic realm="openim-callback", charset="UTF-8"' },
      });
    },
  };
}
