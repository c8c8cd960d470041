/**
 * Where the receiver may run without credentials: only `npm start` on loopback, never in Lambda.
 * The rule is `credentialOrigin` (lambda/webhook-auth.ts); the handler module applies it when it
 * loads, so a broken rule fails Lambda's cold start, checked here in a fresh Node process.
 */
import { describe, expect, it } from 'vitest';
import { credentialOrigin } from '../../lambda/webhook-auth.ts';
import { runToEnd } from '../support/child.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:WebhookSecret-AbCdEf';
const FUNCTION = { AWS_LAMBDA_FUNCTION_NAME: 'OpenImCallbackReceiver-Receiver' };

/** Imports `lambda/handler.ts` in a new process with exactly `env`, as Lambda's cold start does. */
function loadHandler(env: Record<string, string>) {
  const handlerUrl = new URL('../../lambda/handler.ts', import.meta.url).href;
  return runToEnd(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(handlerUrl)}); console.log('loaded');`,
    ],
    {
      PATH: process.env.PATH ?? '',
      TABLE_NAME: 'messages',
      SEQ_TABLE_NAME: 'seqs',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...env,
    },
  );
}

describe('the credential rule', () => {
  it.each([
    ['in Lambda, with the secret', { ...FUNCTION, WEBHOOK_SECRET_ARN: SECRET_ARN }, 'secret'],
    ['outside Lambda, with the secret', { WEBHOOK_SECRET_ARN: SECRET_ARN }, 'secret'],
    ['outside Lambda, with WEBHOOK_CREDENTIALS', { WEBHOOK_CREDENTIALS: 'openim:pw' }, 'static'],
    ['outside Lambda, with neither (npm start on loopback)', {}, 'open'],
    [
      'outside Lambda, with empty values',
      { WEBHOOK_SECRET_ARN: '', WEBHOOK_CREDENTIALS: '' },
      'open',
    ],
  ])('%s: asks for %s credentials', (_, env, kind) => {
    // WHEN
    const origin = credentialOrigin(env);

    // THEN
    expect(origin.kind).toBe(kind);
  });

  it.each([
    [
      'without any credentials',
      {},
      /WEBHOOK_SECRET_ARN is not set.*Fix: deploy with npx cdk deploy/,
    ],
    ['with an empty secret ARN', { WEBHOOK_SECRET_ARN: '' }, /WEBHOOK_SECRET_ARN is not set/],
    [
      'with WEBHOOK_CREDENTIALS instead of the secret',
      { WEBHOOK_CREDENTIALS: 'openim:hunter2' },
      /WEBHOOK_CREDENTIALS is set in Lambda.*Fix: remove it/,
    ],
    [
      'with WEBHOOK_CREDENTIALS beside the secret',
      { WEBHOOK_SECRET_ARN: SECRET_ARN, WEBHOOK_CREDENTIALS: 'openim:hunter2' },
      /WEBHOOK_CREDENTIALS is set in Lambda/,
    ],
  ])('in Lambda %s: refuses, naming the fix and never the password', (_, env, message) => {
    // WHEN
    const origin = () => credentialOrigin({ ...FUNCTION, ...env });

    // THEN
    expect(origin).toThrow(message);
    expect(origin).not.toThrow(/hunter2/);
  });

  it('refuses malformed WEBHOOK_CREDENTIALS without quoting them', () => {
    const origin = () => credentialOrigin({ WEBHOOK_CREDENTIALS: 'hunter2' });

    expect(origin).toThrow(
      /WEBHOOK_CREDENTIALS is invalid: credentials must look like user:password/,
    );
    expect(origin).not.toThrow(/hunter2/);
  });
});

describe("the handler's cold start", () => {
  it('fails in Lambda without the secret, saying which variable is missing and how to fix it', async () => {
    // GIVEN Lambda's environment without WEBHOOK_SECRET_ARN, WHEN the handler module loads
    const { code, stdout, stderr } = await loadHandler(FUNCTION);

    // THEN it does not load, and says why
    expect(code).not.toBe(0);
    expect(stdout).not.toContain('loaded');
    expect(stderr).toContain('WEBHOOK_SECRET_ARN is not set');
    expect(stderr).toContain('Fix: deploy with npx cdk deploy');
  }, 30_000);

  it('fails in Lambda with only WEBHOOK_CREDENTIALS, without printing the password', async () => {
    const { code, stderr } = await loadHandler({
      ...FUNCTION,
      WEBHOOK_CREDENTIALS: 'openim:hunter2',
    });

    expect(code).not.toBe(0);
    expect(stderr).toContain('WEBHOOK_CREDENTIALS is set in Lambda');
    expect(stderr).not.toContain('hunter2');
  }, 30_000);

  it.each([
    ['in Lambda with the secret', { ...FUNCTION, WEBHOOK_SECRET_ARN: SECRET_ARN }],
    ['outside Lambda with neither (npm start does the loopback check)', {}],
  ])(
    'loads %s',
    async (_, env) => {
      const { code, stdout, stderr } = await loadHandler(env);

      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toContain('loaded');
    },
    30_000,
  );
});
