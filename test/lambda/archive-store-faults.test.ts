import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpoolFallback } from '../../lambda/message-fallback.ts';
import { type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import { replay, spoolSource } from '../../tools/fallback-replay.ts';
import {
  archiveState,
  type CallbackKind,
  callbacksOf,
  conversationOf,
  type Delivered,
  deliver,
  harnessInstance,
} from '../support/archive-harness.ts';
import { sampleGroupMessage, sampleMessage } from '../support/openim-wire.ts';
import { SUCCESS, scanAll } from '../support/test-receiver.ts';

let engine: LocalEngine;
let spoolRoot: string;
beforeAll(async () => {
  engine = await startLocalEngine();
  spoolRoot = await mkdtemp(join(tmpdir(), 'cuts-'));
});
afterAll(async () => {
  await engine.close();
  await rm(spoolRoot, { recursive: true, force: true });
});

/** One message, maybe in a group, maybe revoked, maybe with fields a newer OpenIM adds. */
const messageArb: fc.Arbitrary<Delivered> = fc
  .record({
    n: fc.integer({ min: 1, max: 1_000_000 }),
    group: fc.boolean(),
    revoked: fc.boolean(),
    afterSendExtra: fc.boolean(),
    saveDbExtra: fc.boolean(),
  })
  .map(({ n, group, revoked, afterSendExtra, saveDbExtra }) => {
    const message = group ? sampleGroupMessage(n) : sampleMessage(n);
    return {
      kind: group ? 'group' : 'single',
      message,
      saved: { ...message, ex: `saved ${n}` },
      ...(afterSendExtra ? { afterSendExtra: { isRead: true, shared: 'after-send' } } : {}),
      ...(saveDbExtra ? { saveDbExtra: { shared: 'save-db', attachedInfo: '' } } : {}),
      seq: 1 + (n % 50),
      ...(revoked ? { revokedBy: message.sendID } : {}),
    };
  });

/** What comes after the cut: a callback of the message, or a replay of the fallback. */
type Later = CallbackKind | 'replay';

/**
 * A message's callbacks in some order, one of them cut short after `cutAfter` writes (the engine
 * fails there, as when the Lambda dies, and the callback is answered 503 and kept in the
 * fallback), and what arrives later, in any order: the callbacks not yet delivered, the cut one
 * again (its repeat, or a replay of the kept record: only it has all of its own fields), and maybe
 * one more callback of the message.
 */
const cutArb = messageArb.chain((d) => {
  const callbacks = callbacksOf(d);
  return fc
    .record({
      order: fc.shuffledSubarray(callbacks, {
        minLength: callbacks.length,
        maxLength: callbacks.length,
      }),
      cutIndex: fc.nat({ max: callbacks.length - 1 }),
      cutAfter: fc.integer({ min: 1, max: 4 }),
      replayed: fc.boolean(),
      extra: fc.option(fc.constantFrom<Later>(...callbacks), { nil: undefined }),
      shuffle: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
    })
    .map(({ order, cutIndex, cutAfter, replayed, extra, shuffle }) => {
      const cut = order[cutIndex] as CallbackKind;
      const rest: Later[] = [
        ...order.slice(cutIndex + 1),
        replayed ? 'replay' : cut,
        ...(extra ? [extra] : []),
      ];
      for (const [i, pick] of shuffle.slice(0, rest.length).entries()) {
        const j = pick % rest.length;
        [rest[i], rest[j]] = [rest[j] as Later, rest[i] as Later];
      }
      return { d, before: order.slice(0, cutIndex), cut, cutAfter, rest };
    });
});

/** Delivers `later` after a cut: a callback, or a replay of what the fallback kept. */
async function deliverLater(
  receiver: Awaited<ReturnType<typeof harnessInstance>>,
  d: Delivered,
  later: Later,
  spool: string,
) {
  if (later === 'replay') {
    const report = await replay(spoolSource(spool), receiver.store);
    expect(report.skipped).toEqual([]);
  } else {
    expect(await deliver(receiver.handler, d, later)).toEqual({ statusCode: 200, body: SUCCESS });
  }
}

/** Tables as a message's callbacks leave them when nothing fails. */
async function uncutState(d: Delivered) {
  const uncut = await harnessInstance(engine);
  for (const callback of callbacksOf(d)) await deliver(uncut.handler, d, callback);
  const state = await archiveState(engine, uncut.tables);
  uncut.client.destroy();
  return state;
}

describe('a callback cut short between its writes', () => {
  let run = 0;
  /** A receiver whose fallback is a fresh spool folder. */
  async function withSpool() {
    run += 1;
    const spool = join(spoolRoot, String(run));
    const receiver = await harnessInstance(engine, {
      fallback: createSpoolFallback({ directory: spool }),
    });
    return { receiver, spool };
  }

  it('ends, once it comes again or is replayed, as if it had never been cut, whatever else arrives around it', async () => {
    await fc.assert(
      fc.asyncProperty(cutArb, async ({ d, before, cut, cutAfter, rest }) => {
        // GIVEN the tables the message's callbacks leave when nothing fails
        const expected = await uncutState(d);

        // WHEN one callback's writes stop after `cutAfter`, and the rest arrive afterwards
        const { receiver, spool } = await withSpool();
        for (const callback of before) await deliver(receiver.handler, d, callback);
        receiver.budget.left = cutAfter;
        const answer = await deliver(receiver.handler, d, cut);
        receiver.budget.left = Number.POSITIVE_INFINITY;
        expect([200, 503]).toContain(answer.statusCode);
        for (const later of rest) await deliverLater(receiver, d, later, spool);

        // THEN both tables are exactly as if nothing had been cut
        expect(await archiveState(engine, receiver.tables)).toEqual(expected);
        receiver.client.destroy();
      }),
      { numRuns: 60 },
    );
  }, 240_000);

  /** A message of a one-to-one chat with seq 12, revoked by its sender. */
  const revokedMessage = (n: number): Delivered => ({
    kind: 'single',
    message: sampleMessage(n),
    seq: 12,
    revokedBy: sampleMessage(n).sendID,
  });

  it.each([
    [
      'the save-DB callback stored the message with its seq but never linked the seq',
      ['afterSend', 'revoke'],
      'saveDB',
      1,
      ['afterSend', 'replay', 'saveDB'],
    ],
    [
      'the save-DB callback linked the seq but never applied the revoke that came first',
      ['afterSend', 'revoke'],
      'saveDB',
      2,
      ['afterSend', 'replay', 'saveDB', 'revoke'],
    ],
    [
      'the revoke was kept on the linked seq but never marked on the message',
      ['afterSend', 'saveDB'],
      'revoke',
      1,
      ['afterSend', 'replay', 'saveDB', 'revoke'],
    ],
  ] as const)(
    'when %s, any later callback of the message finishes it',
    async (_state, before, cut, cutAfter, healers) => {
      for (const [i, healer] of healers.entries()) {
        // GIVEN the half-done state
        const d = revokedMessage(640_000 + 10 * i + cutAfter + (cut === 'revoke' ? 100 : 0));
        const expected = await uncutState(d);
        const { receiver, spool } = await withSpool();
        for (const callback of before) await deliver(receiver.handler, d, callback);
        receiver.budget.left = cutAfter;
        expect((await deliver(receiver.handler, d, cut)).statusCode).toBe(503);
        receiver.budget.left = Number.POSITIVE_INFINITY;
        expect(await archiveState(engine, receiver.tables), healer).not.toEqual(expected);

        // WHEN one later callback of the message arrives (or the replay runs)
        await deliverLater(receiver, d, healer, spool);

        // THEN the tables are as if nothing had been cut
        expect(await archiveState(engine, receiver.tables), healer).toEqual(expected);
        receiver.client.destroy();
      }
    },
    60_000,
  );
});

describe('two messages that claim one seq', () => {
  /** Two messages of one chat, the first maybe revoked, both claiming seq 9. */
  const pairArb = fc
    .record({ n: fc.integer({ min: 1, max: 100_000 }), group: fc.boolean(), revoked: fc.boolean() })
    .chain(({ n, group, revoked }) => {
      const make = (m: number): Delivered => {
        const message = group
          ? sampleGroupMessage(m, { groupID: `g${n}` })
          : sampleMessage(m, { sendID: `a${n}`, recvID: `b${n}` });
        return { kind: group ? 'group' : 'single', message, seq: 9 };
      };
      const first = { ...make(n * 2), ...(revoked ? { revokedBy: `a${n}` } : {}) };
      const second = make(n * 2 + 1);
      const all = [
        ...callbacksOf(first).map((callback) => ({ d: first, callback })),
        ...callbacksOf(second).map((callback) => ({ d: second, callback })),
      ];
      return fc
        .shuffledSubarray([...all, ...all], { minLength: all.length, maxLength: all.length * 2 })
        .filter((order) => all.every((one) => order.includes(one)))
        .map((order) => ({ first, second, order, revoked }));
    });

  it('keep both messages; the seq goes to one, the other is a recorded conflict, and a revoke marks only the holder', async () => {
    await fc.assert(
      fc.asyncProperty(pairArb, async ({ first, second, order, revoked }) => {
        // GIVEN two messages whose save-DB callbacks bring the same seq, and maybe a revoke of it
        const receiver = await harnessInstance(engine);

        // WHEN every callback arrives, in any order, some twice
        for (const { d, callback } of order) {
          expect((await deliver(receiver.handler, d, callback)).statusCode).toBe(200);
        }

        // THEN both messages are stored with the seq they came with; the seq is linked to the
        // one whose save-DB came first, the other is listed as conflicting, and only the holder
        // carries the revoke
        const conversationID = conversationOf(first);
        const messages = await scanAll(engine.client, receiver.tables.messages);
        expect(messages.map((m) => m.seq)).toEqual([9, 9]);
        const seqs = await scanAll(engine.client, receiver.tables.seqs);
        const item = seqs.find((s) => s.conversationID === conversationID && s.seq === 9);
        const ids = [first.message.serverMsgID, second.message.serverMsgID];
        const firstSaved = order.find(({ callback }) => callback === 'saveDB')?.d.message
          .serverMsgID;
        const holder = String(item?.serverMsgID);
        expect(holder).toBe(firstSaved);
        const other = ids.find((id) => id !== holder);
        expect(item?.conflictingMsgIDs).toEqual(new Set([other]));
        for (const message of messages) {
          if (revoked && message.serverMsgID === holder)
            expect(message).toHaveProperty('revokedBy');
          else expect(message).not.toHaveProperty('revokedBy');
        }
        expect(seqs.filter((s) => String(s.conversationID).startsWith('~conflicts#'))).toHaveLength(
          1,
        );
        receiver.client.destroy();
      }),
      { numRuns: 40 },
    );
  }, 240_000);
});
