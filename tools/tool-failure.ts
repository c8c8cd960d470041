/**
 * Why a tool run failed, in words a person can act on: the one place where every tool turns an
 * AWS SDK or local failure (no credentials, no region, an expired token, access denied, an unknown
 * stack, the local engine not running) into a fix.
 */

/** A problem the user can fix; its message says how, and never quotes a secret. */
export class ToolError extends Error {
  override readonly name: string = 'ToolError';
}

/** A `--stack` that CloudFormation does not know; callers may add what to do without it. */
export class StackNotFoundError extends ToolError {
  override readonly name = 'StackNotFoundError';
}

/** What an explanation may mention. */
export interface FailureContext {
  /** The region asked, if known. */
  readonly region?: string | undefined;
  /** The permissions the tool needs, named in an access-denied explanation. */
  readonly permissions?: string | undefined;
  /** Whether the tool talks to the local engine, so that a refused connection means it is down. */
  readonly localEngine?: boolean | undefined;
}

/** The name of an error, or `undefined` for anything else. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** A failure in words the user can act on, or `undefined` if it is not a known one. */
export function explainFailure(error: unknown, context: FailureContext = {}): string | undefined {
  if (error instanceof ToolError) return error.message;
  const name = errorName(error);
  const message = error instanceof Error ? error.message : '';
  const { region } = context;
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED') {
    return context.localEngine === false
      ? `Nothing answers at the address asked (connection refused): ${message}`
      : 'the local engine is not running: start the receiver (npm start) first, or, if it ' +
          'runs with another DATA_DIR or DYNAMODB_PORT, set the same here';
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return (
      'No AWS credentials found. Sign in first, e.g. `aws sso login --profile NAME` and ' +
      '`export AWS_PROFILE=NAME`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.'
    );
  }
  if (/region is missing/i.test(message)) {
    return 'No AWS region. Fix: --region eu-west-1, or export AWS_REGION=eu-west-1.';
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || /expired/i.test(name ?? '')) {
    return 'Your AWS credentials have expired. Sign in again (e.g. `aws sso login`).';
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    const needs = context.permissions ? ` Your credentials need ${context.permissions}.` : '';
    return `Access denied: ${message}${needs}`;
  }
  if (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId') {
    return `AWS did not accept your credentials${region ? ` in ${region}` : ''}: ${message}`;
  }
  return undefined;
}

/** One line for any failure: its explanation, or its own message. */
export function describeFailure(error: unknown, context: FailureContext = {}): string {
  return explainFailure(error, context) ?? (error instanceof Error ? error.message : String(error));
}
