/**
 * Webhook credentials kept in AWS Secrets Manager as `{"username":…,"password":…}`. Both the current
 * version and, during a rotation, the previous one are accepted, so rotating the secret and then
 * OpenIM's URL loses no message in between. Values are cached for a minute: a rotation takes
 * effect without a redeploy, and a Secrets Manager outage does not lock OpenIM out.
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
  /** How long a value is reused before it is read again, in seconds. @default 60 */
  readonly maxAgeSeconds?: number;
  /** The clock, in ms. @default Date.now */
  readonly now?: () => number;
}

/** Checks the secret's shape; never puts its value into the error. */
function toCredentials(value: unknown, secretId: string): Credentials | undefined {
  if (value === undefined) return undefined;
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
  now = Date.now,
}: SecretCredentialsOptions): CredentialSource {
  // One provider per version stage: Powertools caches by name, not by stage.
  const providers = {
    current: new SecretsProvider(client ? { awsSdkV3Client: client } : {}),
    previous: new SecretsProvider(client ? { awsSdkV3Client: client } : {}),
  };
  const lastGood: { current?: Credentials; previous?: Credentials } = {};
  let previousAbsentUntil = 0;

  const read = async (stage: 'current' | 'previous'): Promise<Credentials | undefined> => {
    try {
      const value = await providers[stage].get(secretId, {
        maxAge: maxAgeSeconds,
        transform: 'json',
        ...(stage === 'previous' ? { sdkOptions: { VersionStage: 'AWSPREVIOUS' } } : {}),
      });
      const credentials = toCredentials(value, secretId);
      if (credentials) lastGood[stage] = credentials;
      return credentials;
    } catch (error) {
      // A version stage that does not exist (no rotation yet) is an answer, not a failure.
      if (isNotFound(error)) return undefined;
      // Secrets Manager unreachable: keep accepting what was accepted a moment ago.
      if (lastGood[stage]) return lastGood[stage];
      throw error;
    }
  };

  return {
    async current() {
      const credentials = await read('current');
      if (!credentials) throw new Error(`secret ${secretId} has no current value`);
      return credentials;
    },
    async previous() {
      // Most secrets have no previous version; do not ask on every wrong password.
      if (now() < previousAbsentUntil) return undefined;
      const credentials = await read('previous');
      if (!credentials) previousAbsentUntil = now() + maxAgeSeconds * 1000;
      return credentials;
    },
  };
}
