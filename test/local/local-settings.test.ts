import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALLBACKS } from '../../lambda/callbacks.ts';
import {
  isLoopback,
  LOCAL_DEFAULTS,
  localEngineEndpoint,
  localTableName,
  readReceiverSettings,
} from '../../local/local-settings.ts';
import { sourceIpOf } from '../../local/receiver-server.ts';
import { openImUrl, startBanner } from '../../local/start-banner.ts';

/** An IPv4 address as text. */
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));

describe('the local settings', () => {
  it('default to loopback, port 3000, engine 8000, .data and openim-messages, open', () => {
    // WHEN nothing is set
    const settings = readReceiverSettings({});

    // THEN
    expect(settings).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      dynamoPort: 8000,
      tableName: 'openim-messages',
      credentials: undefined,
    });
    expect(settings.dataDir).toMatch(/\/\.data$/);
    expect(settings.spoolDir).toBe(`${settings.dataDir}/fallback`);
    expect(localEngineEndpoint({})).toBe('http://127.0.0.1:8000');
    expect(localTableName({ TABLE_NAME: '' })).toBe(LOCAL_DEFAULTS.tableName);
  });

  it('refuses to listen beyond loopback without credentials, saying how to fix it', () => {
    // WHEN
    const open = () => readReceiverSettings({ HOST: '0.0.0.0' });

    // THEN
    expect(open).toThrow(
      /^HOST=0\.0\.0\.0 lets other machines post, so WEBHOOK_CREDENTIALS is required\. Fix: set WEBHOOK_CREDENTIALS=user:password/,
    );
  });

  it('listens on every interface with credentials', () => {
    const settings = readReceiverSettings({ HOST: '0.0.0.0', WEBHOOK_CREDENTIALS: 'u:p' });

    expect(settings.host).toBe('0.0.0.0');
    expect(settings.credentials).toEqual({ username: 'u', password: 'p' });
  });

  it('runs open on any loopback address, and on no other IPv4 address', () => {
    fc.assert(
      fc.property(ipv4, (host) => {
        // WHEN the receiver is asked to listen on `host` without credentials
        const start = () => readReceiverSettings({ HOST: host });

        // THEN only 127.0.0.0/8 is allowed
        if (host.startsWith('127.')) expect(start().host).toBe(host);
        else expect(start).toThrow(/WEBHOOK_CREDENTIALS is required/);
      }),
    );
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::')).toBe(false);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::ffff:10.0.0.1')).toBe(false);
  });

  it.each([
    [{ HOST: 'myhost' }, /^HOST is "myhost", but it must be the IP address to listen on/],
    [{ PORT: 'http' }, /^PORT must be a port number from 0 to 65535, not "http"$/],
    [{ DYNAMODB_PORT: '70000' }, /^DYNAMODB_PORT must be a port number/],
    [{ WEBHOOK_CREDENTIALS: 'nocolon' }, /^WEBHOOK_CREDENTIALS is invalid: /],
    [
      { ALLOWED_SOURCE_CIDRS: '10.0.0.0/8/9' },
      /^ALLOWED_SOURCE_CIDRS is invalid: "10\.0\.0\.0\/8\/9" is not an IPv4 or IPv6 address or CIDR\. Fix: /,
    ],
  ])('refuses %o in one line naming the setting', (env, message) => {
    const read = () => readReceiverSettings(env);

    expect(read).toThrow(message);
    expect(read).not.toThrow(/\n/);
    expect(read).not.toThrow(/nocolon/);
  });

  it('accepts a valid allowlist', () => {
    expect(() =>
      readReceiverSettings({ ALLOWED_SOURCE_CIDRS: '172.17.0.0/16, 127.0.0.1' }),
    ).not.toThrow();
  });
});

describe('the start banner', () => {
  const facts = {
    port: 3000,
    engineEndpoint: 'http://127.0.0.1:8000',
    tables: { messages: 'openim-messages', seqs: 'openim-messages-seqs' },
    dataDir: '/d',
    spoolDir: '/d/fallback',
    waiting: 0,
  };

  it('gives OpenIM the loopback URL by default', () => {
    const banner = startBanner({ ...facts, host: '127.0.0.1', username: undefined });

    expect(banner).toContain('listening on http://127.0.0.1:3000\n');
    expect(banner).toContain('  url: http://127.0.0.1:3000\n');
    expect(banner).toContain('OPEN: no credentials are checked');
    expect(banner).not.toContain('host.docker.internal');
  });

  it('enables every callback the receiver stores in the webhooks.yml lines', () => {
    const banner = startBanner({ ...facts, host: '127.0.0.1', username: undefined });

    for (const { webhooksKey, summary } of CALLBACKS) {
      expect(banner).toContain(`\n  ${webhooksKey}:\n    enable: true\n    timeout: 5\n`);
      expect(banner).toContain(`${webhooksKey}: ${summary}`);
    }
  });

  it("on every interface, gives OpenIM in Docker the host's name, with the credentials", () => {
    const banner = startBanner({ ...facts, host: '0.0.0.0', username: 'open im' });

    expect(banner).toContain('listening on http://0.0.0.0:3000 (every interface of this machine)');
    expect(banner).toContain('  url: http://open%20im:PASSWORD@host.docker.internal:3000\n');
    expect(banner).toContain('--add-host=host.docker.internal:host-gateway');
    expect(banner).toContain('172.17.0.1');
  });

  it('brackets an IPv6 address in URLs', () => {
    expect(openImUrl({ ...facts, host: 'fd00::2', username: 'u' })).toBe(
      'http://u:PASSWORD@[fd00::2]:3000',
    );
  });
});

describe('source addresses on a dual-stack listener', () => {
  it('are given to the handler as API Gateway gives them: IPv4 plain', () => {
    expect(sourceIpOf('::ffff:172.17.0.2')).toBe('172.17.0.2');
    expect(sourceIpOf('172.17.0.2')).toBe('172.17.0.2');
    expect(sourceIpOf('fd00::2')).toBe('fd00::2');
    expect(sourceIpOf(undefined)).toBe('127.0.0.1');
  });
});
