/**
 * Webhook credentials kept in AWS Secrets Manager as `{"username":…,"password":…}`. Both the current
 * version and, during a rotation, the previous one are accepted, so rotating the secret and then
 * OpenIM's URL loses no message in between. The current value is cached for a minute; a request
 * that matches neither cached value re-reads both versions (at most every few seconds), so an
 * instance never rejects OpenIM's password because its cache is older than the rotation. A Secrets
 * Manager outage does not lock OpenIM out: the last values read stay valid.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CredentialSource, Credentials } from './webhook-auth.ts';

/** Options for {@link secretsManagerCredentials}. */
export interface SecretCredentialsOptions {
  /** The secret's ARN or name. */
  readonly secretId: string;
  /** The client to read it with. @default a client built by Powertools */
  readonly client?: SecretsManagerClient;
  /** How long the current value is reused before it is read again, in seconds. @default 60 */
  readonly maxAgeSeconds?: number;
  /** Least time between two re-reads caused by credentials that matched nothing, in ms. @default 5_000 */
  readonly recheckIntervalMs?: number;
  /** The clock, in ms. @default Date.now */
  readonly now?: () => number;
}

type Stage = 'current' | 'previous';

/**
 * The credentials in the webhook secret's value, `{"username":…,"password":…}` with both
 * non-empty: the one reading of that secret, for the function and for `npm run webhook-url`. The
 * error names the secret, never its content (JSON.parse's own message would quote it).
 */
export function parseWebhookSecret(
  secretString: string | undefined,
  secretId: string,
): Credentials {
  let value: unknown;
  try {
    value = JSON.parse(secretString ?? '');
  } catch {
    value = undefined;
  }
  const { username, password } = (value ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
    throw new Error(`secret ${secretId} must be JSON with non-empty "username" and "password"`);
  }
  return { username, password };
}

/** Whether Secrets Manager said the secret (or the asked version of it) does not exist. */
function isNotFound(error: unknown): boolean {
  const cause = (error as { cause?: { name?: string } }).cause;
  return (
    (error as Error).name === 'ResourceNotFoundException' ||
    cause?.name === 'ResourceNotFoundException'
  );
}

/** A {@link CredentialSource} reading one Secrets Manager secret. */
export function secretsManagerCredentials({
  secretId,
  client,
  maxAgeSeconds = 60,
  recheckIntervalMs = 5_000,
  now = Date.now,
}: SecretCredentialsOptions): CredentialSource {
  // One provider per version stage: Powertools caches by name, not by stage.
  const providers: Record<Stage, SecretsProvider> = {
    current: new SecretsProvider(client ? { awsSdkV3Client: client } : {}),
    previous: new SecretsProvider(client ? { awsSdkV3Client: client } : {}),
  };
  const lastGood: Partial<Record<Stage, Credentials>> = {};
  // The last value parsed per stage, so an unchanged secret yields the same object (whose digest
  // webhook-auth caches) and is not parsed again on every request.
  const parsed: Partial<Record<Stage, { text: string; credentials: Credentials }>> = {};
  let nextRecheck = 0;

  /** The credentials in a value read for `stage`, or `undefined` when the stage has no value. */
  const credentialsIn = (stage: Stage, value: unknown): Credentials | undefined => {
    if (value === undefined) return undefined;
    const text = typeof value === 'string' ? value : '';
    const last = parsed[stage];
    if (last?.text === text) return last.credentials;
    const credentials = parseWebhookSecret(text, secretId);
    parsed[stage] = { text, credentials };
    return credentials;
  };

  const read = async (stage: Stage, forceFetch: boolean): Promise<Credentials | undefined> => {
    try {
      // The raw string, not Powertools' JSON transform: its error would quote the secret.
      const value = await providers[stage].get(secretId, {
        maxAge: maxAgeSeconds,
        forceFetch,
        ...(stage === 'previous' ? { sdkOptions: { VersionStage: 'AWSPREVIOUS' } } : {}),
      });
      const credentials = credentialsIn(stage, value);
      if (credentials) lastGood[stage] = credentials;
      else delete lastGood[stage];
      return credentials;
    } catch (error) {
      // A version stage that does not exist (no rotation yet) is an answer, not a failure.
      if (isNotFound(error)) {
        delete lastGood[stage];
        return undefined;
      }
      // Secrets Manager unreachable: keep accepting what was accepted a moment ago.
      if (lastGood[stage]) return lastGood[stage];
      throw error;
    }
  };

  return {
    async current() {
      const credentials = await read('current', false);
      if (!credentials) throw new Error(`secret ${secretId} has no current value`);
      return credentials;
    },
    async others() {
      // Credentials that matched nothing cached: the secret may have been rotated since. Read both
      // versions again, but not more often than every few seconds, whatever a scanner sends.
      if (now() >= nextRecheck) {
        nextRecheck = now() + recheckIntervalMs;
        // Both at once: a hung Secrets Manager costs this request one deadline, not two.
        await Promise.all([read('current', true), read('previous', true)]);
      }
      return [lastGood.current, lastGood.previous].filter((c): c is Credentials => c !== undefined);
    },
  };
}
