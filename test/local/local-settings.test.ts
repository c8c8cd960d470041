import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACKS, webhooksEnv } from '../../lambda/callbacks.ts';
import {
  isLoopback,
  LOCAL_DEFAULTS,
  localEngineEndpoint,
  localEngineTarget,
  localTableName,
  readReceiverSettings,
} from '../../local/local-settings.ts';
import { RECEIVER_INFO_FILE, writeReceiverInfo } from '../../local/receiver-info.ts';
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
      allowedSources: undefined,
    });
    expect(settings.dataDir).toMatch(/\/\.data$/);
    expect(settings.spoolDir).toBe(`${settings.dataDir}/fallback`);
    // A folder with no receiver in it, so that one running on ./.data cannot answer for it
    const empty = { DATA_DIR: tmpdir() };
    expect(localEngineEndpoint(empty)).toBe('http://127.0.0.1:8000');
    expect(localTableName({ ...empty, TABLE_NAME: '' })).toBe(LOCAL_DEFAULTS.tableName);
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
      { TABLE_NAME: 'my table' },
      /^TABLE_NAME is "my table", but DynamoDB table names are 3 to 255 letters, digits, "_", "-" or "\.", .*Fix: a name of 3 to 250 such characters/,
    ],
    [{ TABLE_NAME: 'ab' }, /^TABLE_NAME is "ab", but DynamoDB table names are 3 to 255/],
    [
      // Fits the rule alone, but its seqs table ("…-seqs") would be 256 characters
      { TABLE_NAME: 'm'.repeat(251) },
      /^TABLE_NAME is "m{251}", .*the seqs table's name is "m{251}-seqs"\. Fix: /,
    ],
    [{ TABLE_NAME: 'a\nb' }, /^TABLE_NAME is "a\\nb"/],
    [
      { PORT: '8000' },
      /^PORT and DYNAMODB_PORT are both 8000 \(set or by default\), but the receiver and its engine each need a port of their own\. Fix: /,
    ],
    [{ PORT: '8100', DYNAMODB_PORT: '8100' }, /^PORT and DYNAMODB_PORT are both 8100 /],
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

  it('accepts a valid allowlist, each entry as address/prefix', () => {
    const settings = readReceiverSettings({ ALLOWED_SOURCE_CIDRS: '172.17.0.0/16, 127.0.0.1' });

    expect(settings.allowedSources).toEqual(['172.17.0.0/16', '127.0.0.1/32']);
  });

  it('accepts table names at the edges of DynamoDB rules, and port 0 for both ports', () => {
    expect(readReceiverSettings({ TABLE_NAME: 'a.b' }).tableName).toBe('a.b');
    expect(readReceiverSettings({ TABLE_NAME: 'm'.repeat(250) }).tableName).toHaveLength(250);
    expect(readReceiverSettings({ PORT: '0', DYNAMODB_PORT: '0' })).toMatchObject({
      port: 0,
      dynamoPort: 0,
    });
  });
});

describe('how the tools and the console find the local engine', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'engine-target-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  /** Writes the file a running receiver (this process) leaves in the data folder. */
  const receiverOn = (endpoint: string, messages: string) =>
    writeReceiverInfo(dataDir, {
      endpoint,
      tables: { messages, seqs: `${messages}-seqs` },
      url: 'http://127.0.0.1:3100',
    });

  it('takes the engine and the tables from the receiver running on DATA_DIR, and says so', async () => {
    // GIVEN a receiver started with DATA_DIR, DYNAMODB_PORT=8100 and TABLE_NAME=trial
    await receiverOn('http://127.0.0.1:8100', 'trial');

    // WHEN a tool is given DATA_DIR alone
    const target = localEngineTarget({ DATA_DIR: dataDir });

    // THEN it reaches that engine and its tables
    expect(target).toMatchObject({
      endpoint: 'http://127.0.0.1:8100',
      tables: { messages: 'trial', seqs: 'trial-seqs' },
      dataDir,
      receiver: { pid: process.pid },
    });
    expect(localEngineEndpoint({ DATA_DIR: dataDir })).toBe('http://127.0.0.1:8100');
  });

  it('lets TABLE_NAME and DYNAMODB_PORT win over the file', async () => {
    await receiverOn('http://127.0.0.1:8100', 'trial');

    const named = localEngineTarget({ DATA_DIR: dataDir, TABLE_NAME: 'other' });
    const samePort = localEngineTarget({ DATA_DIR: dataDir, DYNAMODB_PORT: '8100' });
    const otherPort = localEngineTarget({ DATA_DIR: dataDir, DYNAMODB_PORT: '8200' });

    expect(named).toMatchObject({
      endpoint: 'http://127.0.0.1:8100',
      tables: { messages: 'other' },
    });
    expect(samePort.tables.messages).toBe('trial');
    // A file about another engine says nothing about this one's tables.
    expect(otherPort).toMatchObject({
      endpoint: 'http://127.0.0.1:8200',
      tables: { messages: LOCAL_DEFAULTS.tableName },
      receiver: undefined,
    });
  });

  it('ignores a file left by a receiver that is gone, or not a receiver file', async () => {
    // GIVEN a file whose process has ended (a receiver killed without cleaning up)
    const gone = 2 ** 22 + 12_345;
    const file = join(dataDir, RECEIVER_INFO_FILE);
    await writeFile(
      file,
      JSON.stringify({
        pid: gone,
        endpoint: 'http://127.0.0.1:8100',
        tables: { messages: 'trial', seqs: 'trial-seqs' },
        url: 'http://127.0.0.1:3100',
      }),
    );
    expect(() => process.kill(gone, 0)).toThrow();

    // THEN the defaults apply, as they do for a file that is not JSON
    expect(localEngineTarget({ DATA_DIR: dataDir })).toMatchObject({
      endpoint: 'http://127.0.0.1:8000',
      tables: { messages: LOCAL_DEFAULTS.tableName },
      receiver: undefined,
    });
    await writeFile(file, 'not json');
    expect(localEngineTarget({ DATA_DIR: dataDir }).endpoint).toBe('http://127.0.0.1:8000');
  });

  it('refuses an invalid TABLE_NAME in one line, as npm start does', () => {
    expect(() => localEngineTarget({ DATA_DIR: dataDir, TABLE_NAME: 'a/b' })).toThrow(
      /^TABLE_NAME is "a\/b", but DynamoDB table names/,
    );
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

  it.each([
    [
      'open, from any source',
      { username: undefined, allowedSources: undefined },
      /access: {2}OPEN: no credentials are checked.*\n {11}from any source address \(set ALLOWED_SOURCE_CIDRS to limit them\)\n/,
    ],
    [
      'credentials, from the allowlist only',
      { username: 'openim', allowedSources: ['172.17.0.0/16', '127.0.0.1/32'] },
      /access: {2}Basic credentials required \(WEBHOOK_CREDENTIALS, user "openim"\)\n {11}only from 172\.17\.0\.0\/16, 127\.0\.0\.1\/32 \(ALLOWED_SOURCE_CIDRS\); others get 403\n/,
    ],
    [
      'an allowlist with nothing in it',
      { username: 'openim', allowedSources: [] },
      /\n {11}from NO source address: ALLOWED_SOURCE_CIDRS lists none\n/,
    ],
  ])('says which access rules are on: %s', (_, access, expected) => {
    const banner = startBanner({ ...facts, host: '127.0.0.1', ...access });

    expect(banner).toMatch(expected);
  });

  it('says what waits in the fallback, and what an earlier replay could not store', () => {
    const banner = startBanner({
      ...facts,
      host: '127.0.0.1',
      username: undefined,
      waiting: 2,
      failed: 1,
    });

    expect(banner).toContain(
      'fallback: 2 message(s) wait in /d/fallback; store them with: npm run replay',
    );
    expect(banner).toContain(
      'fallback: 1 message(s) an earlier replay could not store wait in /d/fallback/failed; npm run replay tries them again and says why',
    );
  });

  it("prints the same settings as OpenIM's environment variables", () => {
    const banner = startBanner({ ...facts, host: '0.0.0.0', username: 'openim' });

    const url = 'http://openim:PASSWORD@host.docker.internal:3000';
    expect(banner).toContain(webhooksEnv(url).replace(/^(?=.)/gm, '  '));
    expect(banner).toContain(`  IMENV_WEBHOOKS_URL=${url}\n`);
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
