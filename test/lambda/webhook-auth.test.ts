import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ArchiveStore } from '../../lambda/archive-store.ts';
import { createHandler } from '../../lambda/receiver.ts';
import { secretsManagerCredentials } from '../../lambda/secret-credentials.ts';
import { allowlistSetting, parseSourceAllowlist } from '../../lambda/source-allowlist.ts';
import {
  type CredentialSource,
  credentialsMatch,
  parseBasicAuthorization,
  parseCredentials,
  staticCredentials,
} from '../../lambda/webhook-auth.ts';
import { basicAuthorization, V38_EXAMPLE_BODY } from '../support/openim-wire.ts';
import {
  post,
  quietLogger,
  SUCCESS,
  startTestReceiver,
  type TestReceiver,
} from '../support/test-receiver.ts';

const PATH = '/callbackAfterSendSingleMsgCommand';
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** The header Go's net/http sends for URL userinfo `user:password`. */
function basic(user: string, password: string): Record<string, string> {
  return { ...JSON_TYPE, authorization: basicAuthorization(user, password) };
}

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startTestReceiver();
});
afterAll(() => receiver.close());

/** A handler on the test table that requires `source`, counting the store calls it makes. */
function guarded(source: CredentialSource, allowlist?: string, allowlistSettingName?: string) {
  const calls = { put: 0 };
  const store: ArchiveStore = {
    ...receiver.store,
    insertMessage: (record) => {
      calls.put += 1;
      return receiver.store.insertMessage(record);
    },
  };
  const handler = createHandler({
    store,
    credentials: source,
    allowedSources: allowlist ? parseSourceAllowlist(allowlist) : undefined,
    allowedSourcesSetting: allowlistSettingName,
    logger: quietLogger(),
  });
  return { handler, calls };
}

describe('Basic credentials', () => {
  it('parses what Go sends for URL userinfo, with a colon allowed in the password', () => {
    expect(parseBasicAuthorization(basic('openim', 'pa:ss@1').authorization)).toEqual({
      username: 'openim',
      password: 'pa:ss@1',
    });
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined();
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
    expect(parseBasicAuthorization('Basic bm9jb2xvbg==')).toBeUndefined();
  });

  it('compares equal credentials as equal and any difference as different', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (u1, p1, u2, p2) => {
        const same = u1 === u2 && p1 === p2;
        expect(
          credentialsMatch({ username: u1, password: p1 }, { username: u2, password: p2 }),
        ).toBe(same);
      }),
    );
    // The user/password boundary matters: "ab" + "c" is not "a" + "bc".
    expect(
      credentialsMatch({ username: 'ab', password: 'c' }, { username: 'a', password: 'bc' }),
    ).toBe(false);
  });

  it('reads WEBHOOK_CREDENTIALS as user:password and refuses a malformed one', () => {
    expect(parseCredentials('openim:s3cr:et')).toEqual({ username: 'openim', password: 's3cr:et' });
    expect(() => parseCredentials('openim')).toThrow(/user:password/);
    expect(() => parseCredentials(':x')).toThrow(/user:password/);
    expect(() => parseCredentials('x:')).toThrow(/user:password/);
  });

  it.each([
    ['no credentials', JSON_TYPE],
    ['a wrong password', basic('openim', 'wrong')],
    ['a wrong user', basic('admin', 'right')],
    ['another scheme', { ...JSON_TYPE, authorization: 'Bearer right' }],
  ])('answers %s with 401 in OpenIM shape and never calls the store', async (_what, headers) => {
    const { handler, calls } = guarded(
      staticCredentials({ username: 'openim', password: 'right' }),
    );

    const response = await post(handler, PATH, V38_EXAMPLE_BODY, headers);

    expect(response).toEqual({
      statusCode: 401,
      body: {
        actionCode: 1,
        errCode: 401,
        errMsg: 'Credentials are missing or wrong',
        errDlt: 'put the user and password in the webhooks.yml url: http(s)://USER:PASSWORD@host',
        nextCode: 0,
      },
    });
    expect(calls.put).toBe(0);
  });

  it('refuses before parsing: a bad body without credentials is still a 401', async () => {
    const { handler } = guarded(staticCredentials({ username: 'openim', password: 'right' }));
    const response = await post(handler, PATH, 'not json', JSON_TYPE);
    expect(response.statusCode).toBe(401);
  });

  it('lets the right credentials in and stores the message', async () => {
    const { handler, calls } = guarded(
      staticCredentials({ username: 'openim', password: 'right' }),
    );

    const response = await post(handler, PATH, V38_EXAMPLE_BODY, basic('openim', 'right'));

    expect(response).toEqual({ statusCode: 200, body: SUCCESS });
    expect(calls.put).toBe(1);
  });

  it('accepts the previous credentials during a rotation, and asks for them only on a mismatch', async () => {
    let previousAsked = 0;
    const { handler } = guarded({
      current: async () => ({ username: 'openim', password: 'new' }),
      others: async () => {
        previousAsked += 1;
        return [{ username: 'openim', password: 'old' }];
      },
    });

    expect((await post(handler, PATH, V38_EXAMPLE_BODY, basic('openim', 'new'))).statusCode).toBe(
      200,
    );
    expect(previousAsked).toBe(0);
    expect((await post(handler, PATH, V38_EXAMPLE_BODY, basic('openim', 'old'))).statusCode).toBe(
      200,
    );
    expect((await post(handler, PATH, V38_EXAMPLE_BODY, basic('openim', 'older'))).statusCode).toBe(
      401,
    );
  });

  it('answers 503, not 500, when the credentials cannot be read', async () => {
    const { handler, calls } = guarded({
      current: () => Promise.reject(new Error('AccessDenied: arn:aws:secretsmanager:…')),
      others: async () => [],
    });

    const response = await post(handler, PATH, V38_EXAMPLE_BODY, basic('openim', 'x'));

    expect(response.statusCode).toBe(503);
    expect(JSON.stringify(response.body)).not.toContain('arn:aws');
    expect(calls.put).toBe(0);
  });
});

describe('the source-IP allowlist', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', 200],
    ['192.0.2.7', '10.0.0.0/8, 192.0.2.7', 200],
    ['192.0.2.8', '10.0.0.0/8, 192.0.2.7', 403],
    ['2001:db8::1', '2001:db8::/32', 200],
    ['2001:db9::1', '2001:db8::/32', 403],
  ])('source %s with allowlist %s gets %i', async (sourceIp, allowlist, status) => {
    const { handler, calls } = guarded(staticCredentials(undefined), allowlist);
    const { toHttpApiEvent } = await import('../../local/http-api-event.ts');
    const event = toHttpApiEvent(
      {
        method: 'POST',
        url: PATH,
        headers: JSON_TYPE,
        body: Buffer.from(V38_EXAMPLE_BODY),
        sourceIp,
      },
      'POST /callbackAfterSendSingleMsgCommand',
    );

    const result = await handler(event, {} as never);

    expect(result.statusCode).toBe(status);
    expect(calls.put).toBe(status === 200 ? 1 : 0);
  });

  it.each([
    [
      'in Lambda, the CDK key',
      { AWS_LAMBDA_FUNCTION_NAME: 'OpenImCallbackReceiver-Receiver' },
      'allowedSourceCidrs',
    ],
    ['locally (npm start), the environment variable', {}, 'ALLOWED_SOURCE_CIDRS'],
  ])('names, in a 403, the source and where to allow it: %s', async (_, env, named) => {
    // GIVEN the setting the handler module picks from its environment
    const setting = allowlistSetting(env);
    const { handler } = guarded(staticCredentials(undefined), '10.0.0.0/8', setting);
    const { toHttpApiEvent } = await import('../../local/http-api-event.ts');
    const event = toHttpApiEvent(
      {
        method: 'POST',
        url: PATH,
        headers: JSON_TYPE,
        body: Buffer.from(V38_EXAMPLE_BODY),
        sourceIp: '192.0.2.8',
      },
      'POST /callbackAfterSendSingleMsgCommand',
    );

    // WHEN a source outside the allowlist posts
    const result = await handler(event, {} as never);

    // THEN the answer names exactly that setting
    expect(setting).toBe(named);
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body ?? '')).toEqual({
      actionCode: 1,
      errCode: 403,
      errMsg: 'This source address may not post callbacks',
      errDlt: `192.0.2.8 is not in ${setting}: add the OpenIM server address to it`,
      nextCode: 0,
    });
  });
});

describe('credentials from Secrets Manager', () => {
  // There is no local Secrets Manager engine, so its answers are mocked here.
  const secret = (password: string) => ({
    SecretString: JSON.stringify({ username: 'openim', password }),
  });

  it('reads the current version, caches it, and sees a rotation after maxAge', async () => {
    const mock = mockClient(SecretsManagerClient);
    mock.on(GetSecretValueCommand).resolves(secret('one'));
    const now = 0;
    const source = secretsManagerCredentials({
      secretId: 'arn:secret',
      client: new SecretsManagerClient({ region: 'local' }),
      maxAgeSeconds: 60,
      now: () => now,
    });

    expect(await source.current()).toEqual({ username: 'openim', password: 'one' });
    mock.on(GetSecretValueCommand).resolves(secret('two'));
    expect(await source.current()).toEqual({ username: 'openim', password: 'one' });
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    mock.restore();
  });

  it('never rejects OpenIM during a rotation, whatever each instance has cached', async () => {
    // GIVEN a secret that Secrets Manager rotates, read through a clock the test moves
    const { ResourceNotFoundException } = await import('@aws-sdk/client-secrets-manager');
    const versions: { current: string; previous?: string } = { current: 'OLD' };
    const mock = mockClient(SecretsManagerClient);
    mock.on(GetSecretValueCommand).callsFake(async (input: { VersionStage?: string }) => {
      const password = input.VersionStage === 'AWSPREVIOUS' ? versions.previous : versions.current;
      if (!password)
        throw new ResourceNotFoundException({ message: 'no such version', $metadata: {} });
      return secret(password);
    });
    let clock = 0;
    const source = secretsManagerCredentials({
      secretId: 'arn:secret',
      client: new SecretsManagerClient({ region: 'local' }),
      now: () => clock,
    });
    const accepts = async (password: string) => {
      const given = { username: 'openim', password };
      const current = await source.current();
      if (current && credentialsMatch(given, current)) return true;
      return (await source.others()).some((c) => credentialsMatch(given, c));
    };
    vi.useFakeTimers({ now: 0, toFake: ['Date'] });
    const at = (seconds: number) => {
      clock = seconds * 1000;
      vi.setSystemTime(clock);
    };

    try {
      // WHEN a scanner tries a password, then the secret is rotated, then OpenIM moves over
      at(0);
      expect(await accepts('OLD')).toBe(true);
      at(30);
      expect(await accepts('guess')).toBe(false);
      at(35);
      Object.assign(versions, { current: 'NEW', previous: 'OLD' });

      // THEN the old password works while this instance still caches it
      at(36);
      expect(await accepts('OLD')).toBe(true);
      // AND the new one works although the cached current value predates the rotation
      at(40);
      expect(await accepts('NEW')).toBe(true);
      // AND the old one still works once the instance knows the new one
      at(65);
      expect(await accepts('OLD')).toBe(true);
      at(95);
      expect(await accepts('NEW')).toBe(true);
      expect(await accepts('OLD')).toBe(true);
    } finally {
      vi.useRealTimers();
      mock.restore();
    }
  });

  it('re-reads the secret at most every few seconds, however many wrong passwords arrive', async () => {
    const mock = mockClient(SecretsManagerClient);
    mock.on(GetSecretValueCommand).resolves(secret('right'));
    const source = secretsManagerCredentials({
      secretId: 'arn:secret',
      client: new SecretsManagerClient({ region: 'local' }),
      now: () => 1_000,
    });

    await source.current();
    for (let i = 0; i < 100; i += 1) await source.others();

    // One read for the cache, then one re-read of both versions for the whole burst.
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    mock.restore();
  });

  it('keeps the last good credentials through a Secrets Manager outage', async () => {
    const mock = mockClient(SecretsManagerClient);
    mock.on(GetSecretValueCommand).resolves(secret('one'));
    const source = secretsManagerCredentials({
      secretId: 'arn:secret',
      client: new SecretsManagerClient({ region: 'local' }),
      maxAgeSeconds: 0,
    });
    expect(await source.current()).toEqual({ username: 'openim', password: 'one' });

    mock.on(GetSecretValueCommand).rejects(new Error('ServiceUnavailable'));

    expect(await source.current()).toEqual({ username: 'openim', password: 'one' });
    mock.restore();
  });

  it('refuses a secret of the wrong shape without echoing it', async () => {
    const mock = mockClient(SecretsManagerClient);
    mock.on(GetSecretValueCommand).resolves({ SecretString: '{"user":"openim","pass":"hunter2"}' });
    const source = secretsManagerCredentials({
      secretId: 'arn:secret',
      client: new SecretsManagerClient({ region: 'local' }),
    });

    await expect(source.current()).rejects.toThrow(
      /must be JSON with non-empty "username" and "password"/,
    );
    await expect(source.current()).rejects.not.toThrow(/hunter2/);
    mock.restore();
  });
});
