/**
 * `npm run reconcile` as a user runs it: against the fake OpenIM and the receiver's local engine,
 * on a terminal and in a pipe, and every way it can fail, each in one line with the fix and
 * before anything is written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as reconcile } from '../../tools/reconcile.ts';
import { gapReport } from '../../tools/seq-gaps.ts';
import { freePort } from '../support/child.ts';
import { type FakeOpenIm, seedDemo, startFakeOpenIm } from '../support/fake-openim.ts';
import { buildScenario } from '../support/openim-scenario.ts';
import { COMMANDS } from '../support/openim-wire.ts';
import { post, scanAll, startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';
import { runMain } from '../support/tool-main.ts';

let receiver: TestReceiver;
let fake: FakeOpenIm;
let env: Record<string, string>;
beforeAll(async () => {
  receiver = await startTestReceiver();
  fake = await startFakeOpenIm({ variant: 'v3.8.3' });
  buildScenario(fake.model);
  env = {
    DYNAMODB_PORT: new URL(receiver.engine.endpoint).port,
    TABLE_NAME: receiver.tables.messages,
    OPENIM_SECRET: fake.secret,
  };
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});

/** Both tables' item counts: what a failed run must leave as it was. */
async function itemCounts() {
  const engine = receiver.engine.client;
  return [
    (await scanAll(engine, receiver.tables.messages)).length,
    (await scanAll(engine, receiver.tables.seqs)).length,
  ];
}

describe('npm run reconcile', () => {
  it('refuses, in one line with the fix and writing nothing, every way it cannot start', async () => {
    const before = await itemCounts();
    const closedPort = await freePort();
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      [
        'a wrong secret',
        ['--openim-api', fake.url],
        { ...env, OPENIM_SECRET: 'not-the-secret' },
        /^reconcile: OpenIM refused the secret \(errCode 1002\)\. Fix: set OPENIM_SECRET to the 'secret' in OpenIM's config\/share\.yml$/,
      ],
      [
        'a user who is no admin',
        ['--openim-api', fake.url, '--admin-user', 'u1'],
        env,
        /^reconcile: OpenIM does not take u1 as an admin user \(errCode 1001\)\. Fix: --admin-user one of the IDs in config\/share\.yml/,
      ],
      [
        'an API that nothing serves',
        ['--openim-api', `http://127.0.0.1:${closedPort}`],
        env,
        /^reconcile: Cannot reach OpenIM's API at http:\/\/127\.0\.0\.1:\d+: nothing listens there \(connection refused\)\. Fix: check --openim-api/,
      ],
      [
        'no secret',
        ['--openim-api', fake.url],
        { ...env, OPENIM_SECRET: '' },
        /^reconcile: OPENIM_SECRET is not set\. Fix: OPENIM_SECRET='…' npm run -s reconcile/,
      ],
      ['no API', [], env, /^reconcile: --openim-api is required/],
      [
        'a secret given as a flag',
        ['--openim-api', fake.url, '--secret', 'openIM123'],
        env,
        /^reconcile: Unknown option '--secret'/,
      ],
    ];
    for (const [name, argv, caseEnv, line] of cases) {
      const result = await runMain(reconcile, argv, { env: caseEnv });
      const lines = result.stderr.split('\n').filter((l) => l.startsWith('reconcile:'));
      expect(result.code, name).toBe(1);
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(line);
      expect(result.stdout, name).toBe('');
      expect(result.stderr, name).not.toContain(fake.secret);
    }
    expect(await itemCounts()).toEqual(before);
  });

  it('names an OpenIM error on a route, with its errCode, and exits 1', async () => {
    fake.fail('/msg/newest_seq', {
      kind: 'error',
      errCode: 500,
      errMsg: 'ServerInternalError',
      errDlt: 'mongo down',
    });

    const result = await runMain(reconcile, ['--openim-api', fake.url], { env });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'reconcile: OpenIM answered /msg/newest_seq with errCode 500 (ServerInternalError: mongo down)',
    );
  });

  it('counts with --dry-run and writes nothing', async () => {
    const before = await itemCounts();

    const result = await runMain(reconcile, ['--openim-api', fake.url, '--dry-run'], { env });

    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toEqual([
      expect.objectContaining({ dryRun: true, conversations: 4, recovered: 28, revoked: 2 }),
    ]);
    expect(await itemCounts()).toEqual(before);
  });

  it('prints one JSON line when piped, with progress on stderr, and a summary table on a terminal', async () => {
    // WHEN it runs in a pipe
    const piped = await runMain(reconcile, ['--openim-api', fake.url], { env });

    // THEN one JSON line with the counts, and a line on stderr saying what it reconciles
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.trim().split('\n')).toHaveLength(1);
    expect(piped.json[0]).toMatchObject({
      conversations: 4,
      recovered: 28,
      linked: 0,
      revoked: 2,
      notifications: 2,
      deleted: 1,
      gaps: 3,
      complete: true,
      failed: [],
    });
    expect(piped.stderr).toContain(`with OpenIM at ${fake.url}`);
    expect(piped.stderr).toMatch(/\n {2}users \d+\/\d+ · \d+ conversation\(s\) · \d+ recovered/);
    // The last progress line is the summary's own counts
    expect(piped.stderr).toMatch(/ · 4 conversation\(s\) · 28 recovered · 0 linked · 2 revoked\n$/);

    // AND on a terminal, a second run says it found nothing new, in a table
    const tty = await runMain(reconcile, ['--openim-api', fake.url], { env, tty: true });
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/^Reconciled 4 conversation\(s\) with OpenIM at http/);
    expect(tty.stdout).toMatch(
      /\n {2}recovered +0 {2}chat messages the callbacks missed, now stored\n/,
    );
    expect(tty.stdout).toContain('Left out 5 notification conversation(s) (n_…)');
    // The progress bar, redrawn in place on the terminal, and cleared before the summary
    expect(tty.stderr).toMatch(/\r\[#+\.*\] users \d+\/\d+ · 4 conversation\(s\)/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true);
  });
});

describe("the docs' worked example", () => {
  it('gives what docs/finding-and-counting.md shows, against the demo of npm run fake-openim', async () => {
    // GIVEN the demo, a receiver, and the README's message posted as the docs say
    const demo = await startFakeOpenIm({ variant: 'v3.8.3' });
    seedDemo(demo.model);
    const local = await startTestReceiver();
    const page = readFileSync(
      join(import.meta.dirname, '../../docs/finding-and-counting.md'),
      'utf8',
    );
    const example = page.slice(
      page.indexOf('### A worked example'),
      page.indexOf('## Revoked messages'),
    );
    const body = /--data-binary '([^']+)'/.exec(example)?.[1] ?? '';
    expect((await post(local.handler, `/${COMMANDS.single}`, body)).statusCode).toBe(200);
    const localEnv = {
      DYNAMODB_PORT: new URL(local.engine.endpoint).port,
      TABLE_NAME: local.tables.messages,
      OPENIM_SECRET: 'openIM123',
    };

    // WHEN the reconcile runs on a terminal, and again
    const first = await runMain(reconcile, ['--openim-api', demo.url], {
      env: localEnv,
      tty: true,
    });
    const again = await runMain(reconcile, ['--openim-api', demo.url, '--json'], { env: localEnv });

    // THEN its summary is the docs' (the URL aside), and the second run finds nothing to do
    const shown = /```\n(Reconciled[\s\S]*?)```/.exec(example)?.[1] ?? '';
    expect(first.stdout.replace(demo.url, 'http://127.0.0.1:10002')).toBe(shown);
    expect(again.json[0]).toMatchObject({ recovered: 0, linked: 0, revoked: 0 });
    const target = {
      client: local.engine.client,
      tableName: local.tables.messages,
      seqTableName: local.tables.seqs,
    };
    expect(await gapReport(target, 'si_user_a_user_b')).toMatchObject({
      gaps: [],
      scope: { reconciledThrough: 9 },
    });
    await demo.close();
    await local.close();
  });
});

describe('npm run reconcile on tables that are not there', () => {
  it('names the table and the fix in one line', async () => {
    const result = await runMain(reconcile, ['--openim-api', fake.url], {
      env: { ...env, TABLE_NAME: 'no-such-table' },
    });

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^reconcile: table "no-such-table(-seqs)?" does not exist on the local engine at .*Fix: start the receiver with npm start/,
    );
  });
});
