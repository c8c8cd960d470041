import { describe, expect, it } from 'vitest';
import { environmentCredentials } from '../../lambda/environment-credentials.ts';

describe('the credentials the receiver signs with', () => {
  it("are Lambda's environment variables, read as the SDK's fromEnv reads them", async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_CREDENTIAL_EXPIRATION: '2026-12-05T18:00:00Z',
      AWS_ACCOUNT_ID: '123456789012',
    };
    expect(await environmentCredentials(env)).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date('2026-12-05T18:00:00Z'),
      accountId: '123456789012',
    });
    expect(
      await environmentCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }),
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 'b' });
  });

  it('are refused, naming the variables, when the key pair is missing', async () => {
    await expect(environmentCredentials({ AWS_ACCESS_KEY_ID: 'a' })).rejects.toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/,
    );
  });
});
