import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, today } from '../../tools/cli-output.ts';
import { daysBetween } from '../../tools/message-queries.ts';
import { main as records } from '../../tools/records.ts';
import { main as stats, statsDays } from '../../tools/stats.ts';
import { freePort, type Running, run } from '../support/child.ts';
import {
  COMMANDS,
  encodeBody,
  encodeGroupBody,
  type OpenImGroupMessage,
  type OpenImMessage,
  requestHeaders,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import { inParallel } from '../support/send.ts';
import { runMain } from '../support/tool-main.ts';

const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2025, 4, 5);
const USERS = Array.from({ length: 20 }, (_, i) => `user_${i}`);

/** 3,000 messages over five UTC days among 20 users; every tenth from a server older than 3.8.1. */
const SENT: { message: OpenImMessage; sentAt: number; legacy: boolean }[] = Array.from(
  { length: 3_000 },
  (_, i) => {
    const sender = USERS[(i * 7) % 20] as string;
    const receiver = USERS[(i * 7 + 1 + (i % 13)) % 20] as string;
    const sentAt = FIRST_DAY + (i % 5) * DAY_MS + i * 1_000;
    const legacy = i % 10 === 0;
    const message = sampleMessage(200_000 + i, {
      sendID: sender,
      recvID: receiver,
      sendTime: sentAt,
      createTime: legacy ? sentAt : sentAt - 500,
    });
    return { message, sentAt, legacy };
  },
);

const GROUPS = ['3069284561', '3069284562', '3069284563', '3069284564'];

/** 600 group messages over the same days, in four groups, from the same users. */
const GROUP_SENT: { message: OpenImGroupMessage; sentAt: number }[] = Array.from(
  { length: 600 },
  (_, i) => {
    const sentAt = FIRST_DAY + (i % 5) * DAY_MS + i * 1_000 + 500;
    const message = sampleGroupMessage(300_000 + i, {
      sendID: USERS[(i * 3) % 20] as string,
      // One group is quiet on the last day
      groupID: GROUPS[(i % 5 === 4 ? i % 3 : i) % 4] as string,
      sendTime: sentAt,
    });
    return { message, sentAt };
  },
);

let env: Record<string, string>;
let receiver: Running;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'records-'));
  env = { PORT: '0', DYNAMODB_PORT: String(await freePort()), DATA_DIR: dataDir };
  receiver = run('npm', ['start'], env);
  const [, url] = await receiver.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const answers = await inParallel(SENT, 8, async ({ message, legacy }) => {
    const response = await fetch(`${url}/callbackAfterSendSingleMsgCommand`, {
      method: 'POST',
      headers: requestHeaders(message),
      body: encodeBody(message, legacy ? 'v3.7' : 'v3.8.1'),
    });
    return response.status;
  });
  const groupAnswers = await inParallel(GROUP_SENT, 8, async ({ message }) => {
    const response = await fetch(`${url}/${COMMANDS.group}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: encodeGroupBody(message, 'v3.8.1'),
    });
    return response.status;
  });
  if ([...answers, ...groupAnswers].some((status) => status !== 200)) {
    throw new Error('a message was not stored');
  }
}, 120_000);

afterAll(async () => {
  await receiver.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs a tool as a user does (`npm run -s`), to its end, and returns its JSON Lines and output. */
async function tool(script: string, args: string[]) {
  const running = run('npm', ['run', '--silent', script, '--', ...args], env);
  const code = await running.closed();
  // From stdout alone: progress on stderr may land in the middle of a line of the combined output.
  const lines = running.stdout().split('\n');
  const json = lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, json, text: running.output(), stdout: running.stdout() };
}

/** The day (UTC) of a time. */
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

describe('npm run stats', () => {
  it('matches the counts computed from what was sent', async () => {
    // GIVEN the expected counts, computed here from the messages sent
    type Counts = {
      messages: number;
      groupMessages: number;
      s: Set<string>;
      r: Set<string>;
      c: Set<string>;
      g: Set<string>;
    };
    const expected = new Map<string, Counts>();
    const dayCounts = (sentAt: number): Counts => {
      const day = expected.get(dayOf(sentAt)) ?? {
        messages: 0,
        groupMessages: 0,
        s: new Set<string>(),
        r: new Set<string>(),
        c: new Set<string>(),
        g: new Set<string>(),
      };
      expected.set(dayOf(sentAt), day);
      return day;
    };
    for (const { message, sentAt } of SENT) {
      const day = dayCounts(sentAt);
      day.messages += 1;
      day.s.add(message.sendID);
      day.r.add(message.recvID);
      day.c.add([message.sendID, message.recvID].sort().join('|'));
    }
    for (const { message, sentAt } of GROUP_SENT) {
      const day = dayCounts(sentAt);
      day.groupMessages += 1;
      day.s.add(message.sendID);
      day.g.add(message.groupID);
    }

    // WHEN stats runs over the days, and one day either side
    const result = await tool('stats', [
      '--from',
      dayOf(FIRST_DAY - DAY_MS),
      '--to',
      dayOf(FIRST_DAY + 5 * DAY_MS),
      '--json',
    ]);

    // THEN each day matches, the empty days are zero, and progress went to stderr
    expect(result.code).toBe(0);
    expect(result.json).toEqual(
      Array.from({ length: 7 }, (_, i) => {
        const day = dayOf(FIRST_DAY + (i - 1) * DAY_MS);
        const e = expected.get(day);
        return {
          day,
          messages: e?.messages ?? 0,
          groupMessages: e?.groupMessages ?? 0,
          senders: e?.s.size ?? 0,
          receivers: e?.r.size ?? 0,
          conversations: e?.c.size ?? 0,
          activeGroups: e?.g.size ?? 0,
          seqConflicts: 0,
        };
      }),
    );
    expect(result.text).toContain('[day 7 of 7]');
  }, 60_000);
});

describe('stats through main', () => {
  it('prints a table on a terminal, and progress on stderr', async () => {
    // GIVEN a day of 600 one-to-one and 120 group messages, in four groups
    const day = dayOf(FIRST_DAY);

    // WHEN stats runs on a terminal
    const result = await runMain(stats, ['--from', day, '--to', day], { env, tty: true });

    // THEN a table, no JSON, and the progress line
    expect(result.code).toBe(0);
    expect(result.json).toEqual([]);
    const [header, row] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^day\s+messages\s+group messages\s+senders\s+receivers\s+conversations\s+active groups\s+seq conflicts$/,
    );
    expect(row).toMatch(new RegExp(`^${day}\\s+600\\s+120\\s+\\d+\\s+\\d+\\s+\\d+\\s+4\\s+0$`));
    expect(result.stderr).toContain('[day 1 of 1]');
  });

  it('counts the last 7 days without dates, and says which days and where it read', async () => {
    // WHEN stats runs with no dates
    const result = await runMain(stats, [], { env });

    // THEN seven days, today last, each named on stderr after the line that says where it read
    const days = daysBetween(today(Date.now() - 6 * DAY_MS), today());
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.map((d) => d.day)).toEqual(days);
    const [reading, counting] = result.stderr.split('\n');
    expect(reading).toMatch(
      /^Reading the local engine at http:\/\/127\.0\.0\.1:\d+: tables "openim-messages" and "openim-messages-seqs", from the receiver running on .*records-\w+ \(its receiver\.json\), with DYNAMODB_PORT$/,
    );
    expect(counting).toBe(
      `Counting ${days[0]} to ${days[6]} (UTC): the last 7 days; --from and --to choose others`,
    );
  });

  it('counts from --from to today when --from comes alone', async () => {
    const from = today(Date.now() - 2 * DAY_MS);

    const result = await runMain(stats, ['--from', from], { env });

    expect(result.code, result.stderr).toBe(0);
    expect(result.json.map((d) => d.day)).toEqual(daysBetween(from, today()));
    expect(result.json).toHaveLength(3);
    expect(result.stderr).toContain(`Counting ${from} to ${today()} (UTC): 3 day(s)\n`);
  });

  it('chooses its days as the usage says, and refuses --from after --to', () => {
    const now = Date.UTC(2025, 4, 20, 15);

    expect(statsDays(undefined, undefined, now)).toEqual({
      from: '2025-05-14',
      to: '2025-05-20',
      days: 7,
    });
    expect(statsDays('2025-05-18', undefined, now)).toEqual({
      from: '2025-05-18',
      to: '2025-05-20',
      days: 3,
    });
    expect(statsDays(undefined, '2025-05-03', now)).toEqual({
      from: '2025-04-27',
      to: '2025-05-03',
      days: 7,
    });
    expect(() => statsDays('2025-05-21', undefined, now)).toThrow(
      '--from 2025-05-21 is after today (2025-05-20)',
    );
    expect(() => statsDays('2025-05-10', '2025-05-09', now)).toThrow(
      '--from 2025-05-10 is after --to 2025-05-09',
    );
  });

  it('refuses --from after --to in one line, in every command that takes them', async () => {
    for (const argv of [['sent', 'user_1'], ['export'], ['conflicts']]) {
      const result = await runMain(
        records,
        [...argv, '--from', '2025-05-10', '--to', '2025-05-01'],
        {
          env,
        },
      );
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.stderr.trimEnd().split('\n').at(-1), argv.join(' ')).toBe(
        'records: --from 2025-05-10 is after --to 2025-05-01',
      );
    }
  });

  it('names a table that does not exist, with the fix, instead of an SDK error', async () => {
    const result = await runMain(stats, [], { env: { ...env, TABLE_NAME: 'no-such-table' } });

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(
      `stats: table "no-such-table" does not exist on the local engine at http://127.0.0.1:${env.DYNAMODB_PORT}. ` +
        'Fix: start the receiver with npm start, which creates its tables, or check TABLE_NAME, ' +
        'DYNAMODB_PORT and DATA_DIR: they must be the ones the receiver was started with',
    );
  });
});

describe('npm run records', () => {
  const ids = (items: Record<string, unknown>[]) => items.map((item) => item.serverMsgID);
  const ALL: { message: OpenImMessage | OpenImGroupMessage; sentAt: number }[] = [
    ...SENT,
    ...GROUP_SENT,
  ];
  const inSendOrder = (filter: (m: OpenImMessage | OpenImGroupMessage) => boolean) =>
    ALL.filter(({ message }) => filter(message))
      .sort((a, b) => a.sentAt - b.sentAt)
      .map(({ message }) => message.serverMsgID);

  it('lists a conversation in send order, whoever sent each message', async () => {
    const result = await runMain(records, ['conversation', 'user_8', 'user_1', '--json'], { env });
    const pair = (m: OpenImMessage | OpenImGroupMessage) =>
      'recvID' in m && [m.sendID, m.recvID].sort().join() === ['user_1', 'user_8'].sort().join();
    expect(result.code).toBe(0);
    expect(ids(result.json)).toEqual(inSendOrder(pair));
    expect(result.json.length).toBeGreaterThan(0);
  }, 60_000);

  it('lists what a user sent (in chats and groups) and received, in send order', async () => {
    const sent = await runMain(records, ['sent', 'user_3'], { env });
    const received = await runMain(records, ['received', 'user_4'], { env });
    expect(ids(sent.json)).toEqual(inSendOrder((m) => m.sendID === 'user_3'));
    expect(ids(received.json)).toEqual(inSendOrder((m) => 'recvID' in m && m.recvID === 'user_4'));
    expect(sent.json.some((m) => m.groupID !== undefined)).toBe(true);
  }, 60_000);

  it("lists a group's messages in send order", async () => {
    const result = await runMain(records, ['group', GROUPS[1] as string], { env });
    expect(result.code).toBe(0);
    expect(ids(result.json)).toEqual(inSendOrder((m) => 'groupID' in m && m.groupID === GROUPS[1]));
    expect(result.json.length).toBeGreaterThan(100);
  }, 60_000);

  it('narrows a user query to days', async () => {
    const day = dayOf(FIRST_DAY + 2 * DAY_MS);
    const result = await runMain(records, ['sent', 'user_3', '--from', day, '--to', day], { env });
    const onDay = SENT.filter(
      ({ message, sentAt }) => message.sendID === 'user_3' && dayOf(sentAt) === day,
    );
    expect(result.json).toHaveLength(onDay.length);
  }, 60_000);

  it('finds one message with every field', async () => {
    const { message } = SENT[42] as (typeof SENT)[number];
    const result = await runMain(records, ['message', message.serverMsgID, '--json'], { env });
    expect(result.json).toHaveLength(1);
    expect(result.json[0]).toMatchObject(JSON.parse(encodeBody(message, 'v3.8.1')));
  }, 60_000);

  it('exports from --from to today when --from comes alone', async () => {
    const from = today(Date.now() - DAY_MS);

    const result = await runMain(records, ['export', '--from', from], { env });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Exporting 2 day(s), ${from} to ${today()} (UTC)\n`);
    expect(result.stderr).toMatch(new RegExp(`${today()}: 0 message\\(s\\)\\s+\\[day 2 of 2\\]`));
  });

  it('says where it reads, and names a missing seqs table with the fix', async () => {
    const found = await runMain(records, ['message', 'nothing-here'], { env });
    const missing = await runMain(records, ['seq', 'si_user_1_user_8', '1'], {
      env: { DYNAMODB_PORT: env.DYNAMODB_PORT as string, TABLE_NAME: 'openim-messages-x' },
    });

    expect(found.stderr.split('\n')[0]).toMatch(
      /^Reading the local engine at http:\/\/127\.0\.0\.1:\d+: tables "openim-messages" and "openim-messages-seqs", /,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Reading the local engine at http://127.0.0.1:');
    expect(missing.stderr).toContain(
      'records: table "openim-messages-x-seqs" does not exist on the local engine at',
    );
  });

  it('exports every message of a date range as JSON Lines, with progress per day', async () => {
    const result = await tool('records', [
      'export',
      '--from',
      dayOf(FIRST_DAY),
      '--to',
      dayOf(FIRST_DAY + 4 * DAY_MS),
    ]);
    expect(result.code).toBe(0);
    expect(new Set(ids(result.json))).toEqual(
      new Set(ALL.map(({ message }) => message.serverMsgID)),
    );
    expect(result.json).toHaveLength(ALL.length);
    expect(result.text).toMatch(/2025-05-05: 720 message\(s\)\s+\[day 1 of 5\]/);
    // npm run -s keeps npm's banner out of stdout, so `> file.jsonl` holds records only.
    expect(
      result.stdout
        .trim()
        .split('\n')
        .every((line) => line.startsWith('{')),
    ).toBe(true);
  }, 60_000);

  it('prints a table on a terminal, with the text of each message', async () => {
    const result = await runMain(records, ['sent', 'user_3'], { env, tty: true });

    expect(result.code).toBe(0);
    expect(result.json).toEqual([]);
    expect(result.stdout.split('\n')[0]).toMatch(
      /^sent \(UTC\)\s+from\s+to\s+seq\s+type\s+serverMsgID\s+content\s+revoked\s+note$/,
    );
    expect(result.stdout).toContain('user_3');
    expect(result.stdout).toContain('hi #');
    expect(result.stderr).toMatch(/\d+ message\(s\)\n$/);
  });

  it('refuses an unknown option or command with the usage', async () => {
    const option = await runMain(records, ['sent', 'user_3', '--form', '2025-05-05'], { env });
    const command = await runMain(records, ['sender', 'user_3'], { env });

    expect(option.code).toBe(1);
    expect(option.stderr).toContain("Unknown option '--form'");
    expect(option.stderr).toContain('usage: npm run -s records');
    expect(command.code).toBe(1);
    expect(command.stderr).toContain('unknown command "sender"');
  });

  it('refuses a bad date, naming the option', async () => {
    const result = await runMain(
      records,
      ['export', '--from', '05/05/2025', '--to', '2025-05-06'],
      {
        env,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--from must be a date like 2025-05-09, not "05/05/2025"');
  }, 60_000);
});

describe('formatTable', () => {
  it('aligns columns and cuts long cells', () => {
    expect(
      formatTable(
        ['a', 'bb'],
        [
          ['xyz', 'q'],
          [1, 'a'.repeat(10)],
        ],
        5,
      ),
    ).toBe('a    bb\nxyz  q\n1    aaaa…\n');
  });
});
