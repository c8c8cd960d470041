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
import { buildScenario, SCENARIO, type ScenarioMessage } from '../support/openim-scenario.ts';
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
  const stepsArb = fc
    .record({
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
