/**
 * `records gaps`, `records seq` and `records group` against the real engine: what the save-DB
 * callback brought, what never came, and revokes of either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as records } from '../../tools/records.ts';
import {
  COMMANDS,
  encodeGroupBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import { post, startTestReceiver, type TestReceiver } from '../support/test-receiver.ts';
import { runMain } from '../support/tool-main.ts';

const GROUP = '3069284561';
const CONVERSATION = `sg_${GROUP}`;

let receiver: TestReceiver;
let env: Record<string, string>;

/** Runs `records` on the receiver's tables, as a pipe (or a terminal with `tty`). */
const run = (argv: string[], tty = false) => runMain(records, argv, { env, tty });

beforeAll(async () => {
  receiver = await startTestReceiver();
  env = {
    DYNAMODB_PORT: new URL(receiver.engine.endpoint).port,
    TABLE_NAME: receiver.tables.messages,
  };
  const send = async (path: string, body: string) => {
    const answer = await post(receiver.handler, path, body);
    if (answer.statusCode !== 200) throw new Error(JSON.stringify(answer));
  };
  // Seqs 1, 2, 5, 6 and 9 of the group arrive through save-DB; 3-4 and 7-8 never do
  for (const seq of [1, 2, 5, 6, 9]) {
    const message = sampleGroupMessage(40_000 + seq, { groupID: GROUP, sendTime: 1_000 + seq });
    await send(`/${COMMANDS.saveDB}`, encodeSaveDbBody(message, seq));
  }
  // A legacy write-group message of the same group, after-send only (seq 0: no gap evidence)
  await send(
    `/${COMMANDS.group}`,
    encodeGroupBody(
      sampleGroupMessage(40_100, { groupID: GROUP, sessionType: 2, sendTime: 1_003 }),
      'main',
    ),
  );
  // A revoke of seq 5 (received) and of seq 7 (never received)
  for (const seq of [5, 7]) {
    await send(
      `/${COMMANDS.revoke}`,
      encodeRevokeBody({ conversationID: CONVERSATION, seq, userID: 'admin' }),
    );
  }
  // A one-to-one conversation, complete: no gaps
  for (const seq of [1, 2, 3]) {
    const message = sampleMessage(40_200 + seq, { sendID: 'gaps_a', recvID: 'gaps_b' });
    await send(`/${COMMANDS.saveDB}`, encodeSaveDbBody(message, seq));
  }
});
afterAll(() => receiver.close());

describe('records gaps', () => {
  it('lists exactly the seq ranges never received, one JSON line each in a pipe', async () => {
    const result = await run(['gaps', CONVERSATION]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      '{"conversationID":"sg_3069284561","fromSeq":3,"toSeq":4}\n' +
        '{"conversationID":"sg_3069284561","fromSeq":7,"toSeq":8}\n',
    );
    expect(result.stderr).toContain('2 gap(s) in sg_3069284561');
  });

  it('prints a table on a terminal', async () => {
    const result = await run(['gaps', CONVERSATION], true);

    expect(result.stdout.split('\n')[0]).toMatch(
      /^conversationID\s+fromSeq\s+toSeq\s+seqs not received$/,
    );
    expect(result.stdout).toMatch(/sg_3069284561\s+3\s+4\s+2\n/);
  });

  it('finds none in a conversation whose every seq arrived', async () => {
    const seqs = (await receiver.seqItems())
      .filter((item) => item.conversationID === 'si_gaps_a_gaps_b')
      .map((item) => item.seq);
    expect(seqs.sort()).toEqual([1, 2, 3]);

    const result = await run(['gaps', 'si_gaps_a_gaps_b', '--json']);

    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain('0 gap(s) in si_gaps_a_gaps_b');
  });

  it('says in its help that a gap is "not received", and how to check one with OpenIM', async () => {
    const result = await run(['--help']);

    expect(result.stdout).toContain('a gap means "not\nreceived", not "lost"');
    expect(result.stdout).toContain('/msg/pull_msg_by_seq');
  });
});

describe('records seq', () => {
  it('finds a message by conversation and seq, with its revoke', async () => {
    const result = await run(['seq', CONVERSATION, '5']);

    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toEqual([
      expect.objectContaining({
        conversationID: CONVERSATION,
        seq: 5,
        revokedBy: 'admin',
        message: expect.objectContaining({ seq: 5, groupID: GROUP, revokedBy: 'admin' }),
      }),
    ]);
  });

  it('keeps a revoke of a seq never received findable', async () => {
    const result = await run(['seq', CONVERSATION, '7'], true);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/sg_3069284561\s+7\s+\(never received\)\s+admin\s+\d{4}-/);
  });
});

describe('records group', () => {
  it("lists a group's messages in send order, the legacy g_ conversation included", async () => {
    const result = await run(['group', GROUP]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.json.map((m) => [m.conversationID, m.sentAt])).toEqual([
      [CONVERSATION, 1_001],
      [CONVERSATION, 1_002],
      [`g_${GROUP}`, 1_003],
      [CONVERSATION, 1_005],
      [CONVERSATION, 1_006],
      [CONVERSATION, 1_009],
    ]);
  });
});
