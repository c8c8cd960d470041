/**
 * The credentials the receiver's AWS clients sign with: the execution role's, which Lambda puts in
 * every function's environment (and `npm start` puts the local engine's there). Read from there
 * directly, as the SDK's own `fromEnv` reads them, so that no client walks the SDK's default chain
 * of credential sources (profiles and SSO, web identity, credential processes, container and
 * instance metadata), which a function never needs. The deployed bundle leaves those sources out
 * ({@link DEFAULT_CHAIN_MODULES}): every cold start would parse them for nothing.
 */

/**
 * The modules that only the SDK's default credential chain imports, each on first use: left out of
 * the receiver's bundle (`infra/receiver-function.ts`), since its clients never use that chain.
 */
export const DEFAULT_CHAIN_MODULES: readonly string[] = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/** What the clients sign with: the fields the SDK's `fromEnv` reads. */
export interface EnvironmentCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
}

/**
 * The credentials in `env`, as the SDK's `fromEnv` reads them. Rejects, naming the fix, when the
 * key pair is missing: outside Lambda and `npm start`, set `AWS_ACCESS_KEY_ID` and
 * `AWS_SECRET_ACCESS_KEY`.
 */
export async function environmentCredentials(
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvironmentCredentials> {
  const {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SESSION_TOKEN: sessionToken,
    AWS_CREDENTIAL_EXPIRATION: expiry,
    AWS_CREDENTIAL_SCOPE: credentialScope,
    AWS_ACCOUNT_ID: accountId,
  } = env;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: Lambda sets them for every ' +
        'function, npm start for the local engine; anywhere else, set them',
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiry ? { expiration: new Date(expiry) } : {}),
    ...(credentialScope ? { credentialScope } : {}),
    ...(accountId ? { accountId } : {}),
  };
}
