/**
 * A reconcile against the fake OpenIM (both server variants) and the real local engine: what the
 * callbacks left, what OpenIM has, and the archive a reconcile makes of the two.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterMsgSaveDB } from '../../lambda/callbacks/after-msg-save-db.ts';
import { afterSendGroupMsg } from '../../lambda/callbacks/after-send-group-msg.ts';
import { afterSendSingleMsg } from '../../lambda/callbacks/after-send-single-msg.ts';
import { OpenImApi } from '../../lambda/openim-api.ts';
import { type ReconcileOptions, reconcile } from '../../lambda/reconcile/reconcile.ts';
import { type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import { gapReport } from '../../tools/seq-gaps.ts';
import {
  archiveState,
  type CallbackKind,
  deliver,
  type HarnessInstance,
  harnessInstance,
  NOW,
} from '../support/archive-harness.ts';
import { type FakeOpenIm, startFakeOpenIm } from '../support/fake-openim.ts';
import {
  buildScenario,
  callbacksFor,
  SCENARIO,
  type ScenarioMessage,
} from '../support/openim-scenario.ts';
import { encodeBody, encodeGroupBody, encodeSaveDbBody } from '../support/openim-wire.ts';
import { scanAll } from '../support/test-receiver.ts';

let engine: LocalEngine;
beforeAll(async () => {
  engine = await startLocalEngine();
});
afterAll(() => engine.close());

/** Which callbacks of the k-th chat message arrived: 30% none, the rest after-send or save-DB or both. */
function arrivedOf(m: ScenarioMessage, k: number): CallbackKind[] {
  const kinds: CallbackKind[][] = [
    [],
    [],
    [],
    ['afterSend'],
    ['afterSend'],
    ['afterSend'],
    ['saveDB'],
    ['saveDB'],
    ['afterSend', 'saveDB'],
    ['afterSend', 'saveDB'],
  ];
  const arrived = kinds[k % 10] ?? [];
  // Seqs of the cleared history never came with their seq, so they stay gaps.
  return m.inOpenIM === 'cleared' ? arrived.filter((kind) => kind !== 'saveDB') : arrived;
}

/** The record a callback body becomes, as the receiver builds it. */
function recordOfBody(kind: 'afterSend' | 'saveDB', m: ScenarioMessage) {
  const d = m.delivered;
  const context = { receivedAt: NOW };
  if (kind === 'saveDB') {
    const body = JSON.parse(encodeSaveDbBody(d.saved ?? d.message, d.seq));
    return afterMsgSaveDB.toRecord(body, context);
  }
  return d.kind === 'group'
    ? afterSendGroupMsg.toRecord(JSON.parse(encodeGroupBody(d.message as never, 'main')), context)
    : afterSendSingleMsg.toRecord(JSON.parse(encodeBody(d.message as never, 'main')), context);
}

/** A fake OpenIM with the scenario, a receiver, and the callbacks that arrived, delivered. */
async function setUp(variant: 'v3.8.3' | 'main') {
  const fake = await startFakeOpenIm({ variant, now: () => NOW });
  const messages = buildScenario(fake.model);
  const receiver = await harnessInstance(engine);
  const arrived = new Map(messages.map((m, k) => [m.stored.serverMsgID, arrivedOf(m, k)]));
  for (const m of messages) {
    for (const kind of arrived.get(m.stored.serverMsgID) ?? []) {
      expect((await deliver(receiver.handler, m.delivered, kind)).statusCode).toBe(200);
    }
  }
  // One of the two revokes reached the receiver, the other was lost.
  const revoked = messages.filter((m) => m.revoke);
  await deliver(receiver.handler, revoked[0]?.delivered as never, 'revoke');
  return { fake, messages, receiver, arrived };
}

/** The receiver's tables as the tools read them. */
function targetOf({ client, tables }: HarnessInstance) {
  return { client, tableName: tables.messages, seqTableName: tables.seqs };
}

/** Runs a reconcile of everything OpenIM has into the receiver's tables. */
function reconcileInto(
  fake: FakeOpenIm,
  receiver: HarnessInstance,
  options: Partial<ReconcileOptions> = {},
) {
  return reconcile({
    api: new OpenImApi({ baseUrl: fake.url, secret: fake.secret }),
    store: receiver.store,
    client: receiver.client,
    tables: receiver.tables,
    now: () => NOW,
    ...options,
  });
}

describe.each(['v3.8.3', 'main'] as const)('a reconcile against OpenIM %s', (variant) => {
  it('stores every chat message OpenIM still has exactly once, as a callback would have, and only the cleared range stays a gap', async () => {
    // GIVEN 70% of the messages' callbacks arrived, one of two revokes, a deleted slot, a
    // cleared range and a conversation with no callback at all
    const { fake, messages, receiver, arrived } = await setUp(variant);
    const missed = messages.filter(
      (m) => m.inOpenIM === 'kept' && (arrived.get(m.stored.serverMsgID) ?? []).length === 0,
    );
    expect(missed.length).toBeGreaterThan(5);

    // WHEN one reconcile runs
    const summary = await reconcileInto(fake, receiver);

    // THEN every chat message OpenIM has is stored once, plus those only callbacks brought
    const records = await scanAll(engine.client, receiver.tables.messages);
    const expectedIDs = messages
      .filter((m) => m.inOpenIM === 'kept' || (arrived.get(m.stored.serverMsgID) ?? []).length > 0)
      .map((m) => m.stored.serverMsgID);
    expect(records.map((r) => r.serverMsgID).sort()).toEqual(expectedIDs.sort());

    // AND each is as its callbacks left it (the save-DB's if it came, else the after-send's),
    // or as a save-DB callback would have stored it, with the real seq and every revoke
    for (const m of messages.filter((x) => expectedIDs.includes(x.stored.serverMsgID))) {
      const got = arrived.get(m.stored.serverMsgID) ?? [];
      const record = records.find((r) => r.serverMsgID === m.stored.serverMsgID);
      let expected: Record<string, unknown>;
      if (got.includes('saveDB')) expected = recordOfBody('saveDB', m);
      else if (got.includes('afterSend')) {
        expected = { ...recordOfBody('afterSend', m), seq: m.inOpenIM === 'kept' ? m.seq : 0 };
      } else {
        const { operationID: _none, ...recovered } = recordOfBody('saveDB', m);
        expected = { ...recovered, recoveredAt: NOW };
      }
      if (m.revoke) expected = { ...expected, revokedBy: m.revoke.by, revokedAt: m.revoke.at };
      expect(
        record,
        `${m.conversationID} seq ${m.seq} (${got.join('+') || 'no callback'})`,
      ).toEqual(expected);
    }

    // AND the recovered revoked message holds its original content, not the revoke notice
    const revokedMissed = missed.find((m) => m.revoke);
    if (revokedMissed) {
      expect(records.find((r) => r.serverMsgID === revokedMissed.stored.serverMsgID)?.content).toBe(
        revokedMissed.stored.content,
      );
    }

    // AND notifications and the deleted slot are noted on their seqs, never stored as messages
    const seqItems = await scanAll(engine.client, receiver.tables.seqs);
    const kinds = seqItems
      .filter((item) => item.openimKind !== undefined)
      .map((item) => `${item.conversationID}#${item.seq}:${item.openimKind}`)
      .sort();
    expect(kinds).toEqual(
      [
        'si_u1_u2#7:deleted',
        `sg_${SCENARIO.groupID}#1:notification`,
        `sg_${SCENARIO.groupID}#10:notification`,
      ].sort(),
    );

    // AND records gaps lists exactly the cleared range, which OpenIM was asked for
    for (const conversationID of ['si_u1_u2', `sg_${SCENARIO.groupID}`, 'si_u3_u4']) {
      const { gaps } = await gapReport(targetOf(receiver), conversationID);
      expect(gaps, conversationID).toEqual([]);
    }
    expect((await gapReport(targetOf(receiver), 'si_u2_u3')).gaps).toEqual([
      { conversationID: 'si_u2_u3', fromSeq: 1, toSeq: 3, openim: 'openim-no-longer-has' },
    ]);

    // AND the summary's recovered is the number of messages the callbacks missed
    expect(summary).toMatchObject({
      conversations: 4,
      recovered: missed.length,
      revoked: 1,
      notifications: 2,
      deleted: 1,
      gaps: 3,
      conflicts: 0,
      unrecoverable: 0,
      failed: [],
      complete: true,
    });
    expect(summary.linked).toBe(
      messages.filter(
        (m) =>
          m.inOpenIM === 'kept' && (arrived.get(m.stored.serverMsgID) ?? []).join() === 'afterSend',
      ).length,
    );
    await fake.close();
    receiver.client.destroy();
  }, 60_000);

  it('changes nothing on a second run, and asks only for what is new', async () => {
    // GIVEN a reconciled archive
    const { fake, receiver } = await setUp(variant);
    await reconcileInto(fake, receiver);
    const before = await archiveState(engine, receiver.tables);
    const pulls = () => fake.requests.filter((r) => r.path === '/msg/pull_msg_by_seq').length;
    const pulledBefore = pulls();

    // WHEN it runs again
    const second = await reconcileInto(fake, receiver);

    // THEN nothing was recovered, linked or revoked, no item changed, and nothing was pulled
    expect(second).toMatchObject({ recovered: 0, linked: 0, revoked: 0, conversations: 4 });
    expect(await archiveState(engine, receiver.tables)).toEqual(before);
    expect(pulls()).toBe(pulledBefore);

    // AND a new message is pulled alone
    fake.model.sendMessage({
      sendID: 'u4',
      recvID: 'u3',
      content: '{"content":"new"}',
      sendTime: SCENARIO.start + 86_400_000,
    });
    const third = await reconcileInto(fake, receiver);
    expect(third).toMatchObject({ recovered: 1, linked: 0, revoked: 0 });
    const asked = fake.requests
      .filter((r) => r.path === '/msg/pull_msg_by_seq')
      .slice(pulledBefore)
      .map((r) => (r.body as { seqRanges: unknown[] }).seqRanges);
    expect(asked).toEqual([[{ conversationID: 'si_u3_u4', begin: 6, end: 6, num: 1 }]]);
    await fake.close();
    receiver.client.destroy();
  }, 60_000);
});

describe('callbacks and reconciles interleaved', () => {
  /** A small history: two chats and a group, with a revoke, a notice and a deleted slot. */
  function smallScenario(model: FakeOpenIm['model']): ScenarioMessage[] {
    return buildScenario(model).filter(
      (m) => (m.conversationID === 'si_u1_u2' && m.seq <= 7) || m.conversationID === 'si_u3_u4',
    );
  }

  /** Each message's callbacks that arrive (maybe twice), and reconciles among them. */
  const stepsArb = fc.record({
    arrivals: fc.array(
      fc.record({
        afterSend: fc.nat({ max: 2 }),
        saveDB: fc.nat({ max: 2 }),
        revoke: fc.nat({ max: 2 }),
      }),
      { minLength: 12, maxLength: 12 },
    ),
    reconciles: fc.integer({ min: 1, max: 3 }),
    order: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    parallel: fc.integer({ min: 1, max: 3 }),
  });

  it('end in the same tables, whatever the order, the repeats and the number of reconciles', async () => {
    await fc.assert(
      fc.asyncProperty(stepsArb, async ({ arrivals, reconciles, order, parallel }) => {
        // GIVEN OpenIM's history, and which callbacks of each message arrive (0 to 2 times)
        const fake = await startFakeOpenIm({ variant: 'main', now: () => NOW });
        const messages = smallScenario(fake.model);
        type Step = { m: ScenarioMessage; kind: CallbackKind } | 'reconcile';
        const callbacks: Step[] = messages.flatMap((m, i) => {
          const times = arrivals[i % arrivals.length] as Record<CallbackKind, number>;
          return (['afterSend', 'saveDB', 'revoke'] as const)
            .filter((kind) => kind !== 'revoke' || m.revoke)
            .flatMap((kind) => Array.from({ length: times[kind] }, () => ({ m, kind })));
        });

        // WHEN they arrive in their natural order, then one reconcile runs
        const natural = await harnessInstance(engine);
        for (const step of callbacks) {
          if (step !== 'reconcile') await deliver(natural.handler, step.m.delivered, step.kind);
        }
        await reconcileInto(fake, natural);

        // AND, on other tables, shuffled among 1 to 3 reconciles, a few at a time
        const shuffled = await harnessInstance(engine);
        const steps: Step[] = [
          ...callbacks,
          ...Array.from({ length: reconciles }, () => 'reconcile' as const),
        ];
        for (const [i, pick] of order.slice(0, steps.length).entries()) {
          const j = pick % steps.length;
          [steps[i], steps[j]] = [steps[j] as Step, steps[i] as Step];
        }
        for (let i = 0; i < steps.length; i += parallel) {
          await Promise.all(
            steps.slice(i, i + parallel).map(async (step) => {
              if (step === 'reconcile') {
                const summary = await reconcileInto(fake, shuffled);
                expect(summary.failed).toEqual([]);
              } else {
                expect(
                  (await deliver(shuffled.handler, step.m.delivered, step.kind)).statusCode,
                ).toBe(200);
              }
            }),
          );
        }

        // THEN both tables hold exactly the same items
        expect(await archiveState(engine, shuffled.tables)).toEqual(
          await archiveState(engine, natural.tables),
        );
        await fake.close();
        for (const { client } of [natural, shuffled]) client.destroy();
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});

describe('a reconcile, case by case', () => {
  /** A fake with two users and `n` messages between them, a minute apart from `from`. */
  async function chat(n: number, from: number = SCENARIO.start) {
    const fake = await startFakeOpenIm({ variant: 'main', now: () => NOW });
    for (const userID of ['a1', 'b1', 'c1']) fake.model.addUser({ userID });
    for (let i = 1; i <= n; i += 1) {
      fake.model.sendMessage({
        sendID: i % 2 ? 'a1' : 'b1',
        recvID: i % 2 ? 'b1' : 'a1',
        content: JSON.stringify({ content: `m${i}` }),
        sendTime: from + i * 60_000,
      });
    }
    return { fake, receiver: await harnessInstance(engine) };
  }

  it('marks a revoke made after its seq was reconciled, re-checking the newest seqs of active conversations', async () => {
    // GIVEN a conversation active an hour ago, reconciled
    const { fake, receiver } = await chat(5, NOW - 3_600_000);
    await reconcileInto(fake, receiver);

    // WHEN a message is revoked in OpenIM (no revoke callback) and the next run comes
    fake.model.revoke({ conversationID: 'si_a1_b1', seq: 4, userID: 'b1', time: NOW - 60_000 });
    const summary = await reconcileInto(fake, receiver);

    // THEN it was re-checked and marked, and the summary says what was re-checked
    expect(summary).toMatchObject({ revoked: 1, rechecked: { conversations: 1, seqs: 5 } });
    const [record] = (await scanAll(engine.client, receiver.tables.messages)).filter(
      (r) => r.seq === 4,
    );
    expect(record).toMatchObject({
      revokedBy: 'b1',
      revokedAt: NOW - 60_000,
      content: '{"content":"m4"}',
    });

    // AND a conversation whose newest message is older than the window is not asked again
    const quiet = await chat(3, SCENARIO.start);
    await reconcileInto(quiet.fake, quiet.receiver);
    const pulls = quiet.fake.requests.length;
    expect(await reconcileInto(quiet.fake, quiet.receiver)).toMatchObject({
      rechecked: { conversations: 0, seqs: 0 },
    });
    expect(quiet.fake.requests.slice(pulls).map((r) => r.path)).not.toContain(
      '/msg/pull_msg_by_seq',
    );
    for (const f of [fake, quiet.fake]) await f.close();
  });

  it('pulls as another user when the first one cleared the history or left the group', async () => {
    // GIVEN a group whose owner cleared their history after six messages and whose member c1 left
    const { fake, receiver } = await chat(0);
    fake.model.createGroup({ groupID: 'g9', ownerUserID: 'a1', memberUserIDs: ['b1', 'c1'] });
    for (let i = 1; i <= 6; i += 1) {
      fake.model.sendMessage({
        sendID: 'b1',
        groupID: 'g9',
        content: `{"content":"g${i}"}`,
        sendTime: SCENARIO.start + i,
      });
    }
    fake.model.clearHistory('sg_g9', 'a1');
    fake.model.leaveGroup('g9', 'c1');
    fake.model.sendMessage({
      sendID: 'b1',
      groupID: 'g9',
      content: '{"content":"g7"}',
      sendTime: SCENARIO.start + 7,
    });

    // WHEN it is reconciled
    const summary = await reconcileInto(fake, receiver);

    // THEN every message is there, pulled as b1, who sees them all
    expect(summary).toMatchObject({ recovered: 7, gaps: 0, failed: [] });
    const [checkpoint] = (await scanAll(engine.client, receiver.tables.seqs)).filter(
      (item) => item.conversationID === 'sg_g9' && item.seq === 0,
    );
    expect(checkpoint).toMatchObject({ reconciledThrough: 7, pullAs: 'b1' });
    await fake.close();
  });

  it('recovers the original of a message its puller deleted for themselves, from the search', async () => {
    const { fake, receiver } = await chat(3);
    fake.model.deleteForUser('si_a1_b1', 'a1', [2]);
    fake.model.deleteForUser('si_a1_b1', 'b1', [2]);

    const summary = await reconcileInto(fake, receiver);

    expect(summary).toMatchObject({ recovered: 3, unrecoverable: 0 });
    const records = await scanAll(engine.client, receiver.tables.messages);
    expect(records.find((r) => r.seq === 2)).toMatchObject({
      content: '{"content":"m2"}',
      status: 2,
    });
    await fake.close();
  });

  it('stops at its deadline and the next run goes on from the checkpoints', async () => {
    // GIVEN 250 seqs, and a clock that runs out after the first hundred
    const { fake, receiver } = await chat(250);
    let clock = NOW;
    const first = await reconcileInto(fake, receiver, {
      now: () => clock,
      deadline: NOW + 1,
      onProgress: () => {
        clock = NOW + 2;
      },
    });
    expect(first).toMatchObject({ complete: false, recovered: 100 });

    // WHEN the next run comes
    const second = await reconcileInto(fake, receiver);

    // THEN it pulls from seq 101 on, and everything is there once
    expect(second).toMatchObject({ complete: true, recovered: 150 });
    expect(await scanAll(engine.client, receiver.tables.messages)).toHaveLength(250);
    await fake.close();
  });

  it('reports a conversation it could not pull, and goes on with the others', async () => {
    const { fake, receiver } = await chat(3);
    fake.model.sendMessage({ sendID: 'a1', recvID: 'c1', content: '{"content":"x"}' });
    fake.fail(/pull_msg_by_seq/, { kind: 'error', errCode: 500, errMsg: 'ServerInternalError' }, 1);

    const summary = await reconcileInto(fake, receiver);

    expect(summary.failed).toEqual([
      {
        conversationID: expect.stringMatching(/^si_/),
        reason: 'OpenIM answered /msg/pull_msg_by_seq with errCode 500 (ServerInternalError)',
      },
    ]);
    expect(summary.recovered).toBeGreaterThan(0);
    await fake.close();
  });

  it('takes only the conversations asked for, and says which it cannot find', async () => {
    const { fake, receiver } = await chat(3);
    fake.model.sendMessage({ sendID: 'a1', recvID: 'c1', content: '{"content":"x"}' });

    const summary = await reconcileInto(fake, receiver, {
      conversations: ['si_a1_c1', 'si_nobody_there'],
    });

    expect(summary).toMatchObject({ conversations: 1, recovered: 1 });
    expect(summary.failed).toEqual([
      { conversationID: 'si_nobody_there', reason: expect.stringContaining('no user of it') },
    ]);
    await fake.close();
  });

  it('counts a seq OpenIM gives another message than the archive links it to as a conflict', async () => {
    // GIVEN the archive links seq 1 of the chat to a message of another OpenIM
    const { fake, receiver } = await chat(2);
    const [first] = fake.model.messages('si_a1_b1');
    if (!first) throw new Error('no message at seq 1');
    const other = callbacksFor({ ...first.msg, serverMsgID: 'f'.repeat(32) });
    await deliver(receiver.handler, other, 'saveDB');

    // WHEN OpenIM's own message for that seq is reconciled
    const summary = await reconcileInto(fake, receiver);

    // THEN both are stored, the seq stays with the first, and the conflict is counted
    expect(summary).toMatchObject({ recovered: 2, conflicts: 1 });
    const [item] = (await scanAll(engine.client, receiver.tables.seqs)).filter(
      (i) => i.conversationID === 'si_a1_b1' && i.seq === 1,
    );
    expect(item).toMatchObject({
      serverMsgID: 'f'.repeat(32),
      conflictingMsgIDs: new Set([first.msg.serverMsgID]),
    });
    await fake.close();
  });
});

describe('a message the archive holds at another seq than OpenIM', () => {
  it("links OpenIM's seq to it too, so that the seq is no gap, and keeps the record's own", async () => {
    // GIVEN a save-DB callback that put OpenIM's seq-1 message at seq 3 (as the README's walk does)
    const fake = await startFakeOpenIm({ variant: 'v3.8.3', now: () => NOW });
    for (const userID of ['a2', 'b2']) fake.model.addUser({ userID });
    const sent = fake.model.sendMessage({ sendID: 'a2', recvID: 'b2', content: '{"content":"x"}' });
    const receiver = await harnessInstance(engine);
    await deliver(receiver.handler, { ...callbacksFor(sent), seq: 3 }, 'saveDB');

    // WHEN it is reconciled
    const summary = await reconcileInto(fake, receiver);

    // THEN seq 1 is linked to it, seq 3 stays linked, and no gap is reported for seq 1
    expect(summary).toMatchObject({ recovered: 0, linked: 1 });
    const items = (await scanAll(engine.client, receiver.tables.seqs)).filter(
      (i) => i.conversationID === 'si_a2_b2' && Number(i.seq) > 0,
    );
    expect(items.map((i) => [i.seq, i.serverMsgID])).toEqual([
      [1, sent.serverMsgID],
      [3, sent.serverMsgID],
    ]);
    expect((await gapReport(targetOf(receiver), 'si_a2_b2')).gaps).toEqual([
      { conversationID: 'si_a2_b2', fromSeq: 2, toSeq: 2, openim: 'not-asked' },
    ]);
    await fake.close();
  });
});
