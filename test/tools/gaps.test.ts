/**
 * `records gaps`, `records seq` and `records group` against the real engine: what the save-DB
 * callback brought, what never came, and revokes of either.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterMsgSaveDB } from '../../lambda/callbacks/after-msg-save-db.ts';
import { createHandler } from '../../lambda/receiver.ts';
import { main as records } from '../../tools/records.ts';
import { main as stats } from '../../tools/stats.ts';
import {
  COMMANDS,
  encodeBody,
  encodeGroupBody,
  encodeRevokeBody,
  encodeSaveDbBody,
  sampleGroupMessage,
  sampleMessage,
} from '../support/openim-wire.ts';
import {
  post,
  quietLogger,
  startTestReceiver,
  type TestReceiver,
} from '../support/test-receiver.ts';
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
      '{"conversationID":"sg_3069284561","fromSeq":3,"toSeq":4,"openim":"not-asked"}\n' +
        '{"conversationID":"sg_3069284561","fromSeq":7,"toSeq":8,"openim":"not-asked"}\n',
    );
    expect(result.stderr).toContain(
      '2 gap(s) in sg_3069284561, seqs 1 to 9; no reconcile has asked OpenIM yet (npm run reconcile)',
    );
  });

  it('prints a table on a terminal', async () => {
    const result = await run(['gaps', CONVERSATION], true);

    expect(result.stdout.split('\n')[0]).toMatch(
      /^conversationID\s+fromSeq\s+toSeq\s+seqs\s+OpenIM$/,
    );
    expect(result.stdout).toMatch(
      /sg_3069284561\s+3\s+4\s+2\s+not asked yet \(npm run reconcile\)\n/,
    );
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

    expect(result.stdout).toContain('without a reconcile a\ngap means "not received", not "lost"');
    expect(result.stdout).toContain('/msg/pull_msg_by_seq');
    expect(result.stdout).toContain('OpenIM itself no longer has');
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

describe('records gaps, beyond what the callbacks brought', () => {
  /** Stores save-DB messages of a one-to-one chat at `seqs`, through the receiver. */
  async function savedAt(sendID: string, recvID: string, seqs: number[], n: number) {
    for (const seq of seqs) {
      const message = sampleMessage(n + seq, { sendID, recvID });
      const answer = await post(
        receiver.handler,
        `/${COMMANDS.saveDB}`,
        encodeSaveDbBody(message, seq),
      );
      expect(answer.statusCode).toBe(200);
    }
  }

  it('does not report a seq whose message is stored with it, though its save-DB never linked it', async () => {
    // GIVEN seqs 1 and 3 linked, and seq 2's message stored with its seq by a save-DB callback
    // that stopped before writing the link
    await savedAt('cut_a', 'cut_b', [1, 3], 41_000);
    const cut = afterMsgSaveDB.toRecord(
      {
        ...sampleMessage(41_002, { sendID: 'cut_a', recvID: 'cut_b' }),
        groupID: '',
        seq: 2,
      } as never,
      { receivedAt: 1 },
    );
    await receiver.engine.client.send(
      new PutItemCommand({ TableName: receiver.tables.messages, Item: marshall(cut) }),
    );

    const result = await run(['gaps', 'si_cut_a_cut_b']);

    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('0 gap(s) in si_cut_a_cut_b, seqs 1 to 3');
  });

  it('starts at the oldest seq kept when a TTL expired the older ones, and says so', async () => {
    // GIVEN a receiver with a TTL, whose seqs 1 to 49 expired: 50, 51 and 53 are left
    const handler = createHandler({ store: receiver.store, logger: quietLogger(), ttlDays: 30 });
    for (const seq of [50, 51, 53]) {
      const message = sampleMessage(42_000 + seq, { sendID: 'ttl_a', recvID: 'ttl_b' });
      expect(
        (await post(handler, `/${COMMANDS.saveDB}`, encodeSaveDbBody(message, seq))).statusCode,
      ).toBe(200);
    }

    const result = await run(['gaps', 'si_ttl_a_ttl_b']);

    expect(result.json).toEqual([
      { conversationID: 'si_ttl_a_ttl_b', fromSeq: 52, toSeq: 52, openim: 'not-asked' },
    ]);
    expect(result.stderr).toContain(
      '1 gap(s) in si_ttl_a_ttl_b, seqs 50 to 53; older seqs expired with the TTL (ttlDays) and are not checked',
    );
  });

  it('says which ranges a reconcile asked OpenIM for, and which not yet', async () => {
    // GIVEN seqs 1, 5 and 9, and a reconcile that asked OpenIM through seq 6
    await savedAt('rc_a', 'rc_b', [1, 5, 9], 43_000);
    await receiver.engine.client.send(
      new PutItemCommand({
        TableName: receiver.tables.seqs,
        Item: marshall({
          conversationID: 'si_rc_a_rc_b',
          seq: 0,
          reconciledThrough: 6,
          reconciledAt: Date.parse('2026-12-01T10:00:00Z'),
        }),
      }),
    );

    const result = await run(['gaps', 'si_rc_a_rc_b']);

    expect(result.json).toEqual([
      { conversationID: 'si_rc_a_rc_b', fromSeq: 2, toSeq: 4, openim: 'openim-no-longer-has' },
      { conversationID: 'si_rc_a_rc_b', fromSeq: 6, toSeq: 6, openim: 'openim-no-longer-has' },
      { conversationID: 'si_rc_a_rc_b', fromSeq: 7, toSeq: 8, openim: 'not-asked' },
    ]);
    expect(result.stderr).toContain('a reconcile asked OpenIM through seq 6 on 2026-12-01T10:00Z');
  });

  it('says when it never heard of a conversation, and how OpenIM orders the user IDs', async () => {
    const swapped = await run(['gaps', 'si_gaps_b_gaps_a']);
    const unknown = await run(['gaps', 'conversation-42']);

    expect(swapped.code).toBe(0);
    expect(swapped.stderr).toContain('The archive has nothing of si_gaps_b_gaps_a');
    expect(swapped.stderr).toContain('did you mean si_gaps_a_gaps_b?');
    expect(swapped.stderr).not.toContain('0 gap(s)');
    expect(unknown.stderr).toContain('OpenIM names conversations si_<user>_<user>');
  });
});

describe('records gaps with no seq known', () => {
  it('says there is nothing to check yet, and how to learn the seqs', async () => {
    await post(
      receiver.handler,
      `/${COMMANDS.single}`,
      encodeBody(sampleMessage(45_001, { sendID: 'noseq_a', recvID: 'noseq_b' }), 'v3.8.1'),
    );

    const result = await run(['gaps', 'si_noseq_a_noseq_b']);

    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain(
      'No seq of si_noseq_a_noseq_b is known yet, so there is nothing to check',
    );
    expect(result.stderr).toContain('npm run reconcile asks OpenIM for the real seqs');
  });
});

describe('seq conflicts in records', () => {
  it('shows the message that also claimed a seq, in records seq and records conflicts', async () => {
    // GIVEN two messages whose save-DB callbacks claim seq 1 of one chat
    const first = sampleMessage(44_001, { sendID: 'cf_a', recvID: 'cf_b' });
    const second = sampleMessage(44_002, { sendID: 'cf_a', recvID: 'cf_b' });
    for (const message of [first, second]) {
      await post(receiver.handler, `/${COMMANDS.saveDB}`, encodeSaveDbBody(message, 1));
    }

    const seq = await run(['seq', 'si_cf_a_cf_b', '1']);
    const table = await run(['seq', 'si_cf_a_cf_b', '1'], true);
    const day = new Date(second.sendTime ?? 0).toISOString().slice(0, 10);
    const conflicts = await run(['conflicts', '--from', day, '--to', day]);

    expect(seq.json).toEqual([
      expect.objectContaining({
        serverMsgID: first.serverMsgID,
        conflictingMsgIDs: [second.serverMsgID],
      }),
    ]);
    expect(table.stdout).toContain(
      `Seq conflict: ${second.serverMsgID} also claimed this seq; it stays with ${first.serverMsgID}.`,
    );
    expect(conflicts.json).toEqual([
      {
        day,
        conversationID: 'si_cf_a_cf_b',
        seq: 1,
        linkedMsgID: first.serverMsgID,
        serverMsgID: second.serverMsgID,
      },
    ]);
    expect(conflicts.stderr).toContain('1 seq conflict(s)');
    const counted = await runMain(stats, ['--from', day, '--to', day], { env });
    expect(counted.json).toEqual([expect.objectContaining({ day, seqConflicts: 1 })]);
  });
});
