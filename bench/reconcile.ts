/**
 * Reconcile throughput and memory: one conversation of the fake OpenIM (served from this
 * process, so its messages never count in the measured heap) reconciled into empty tables by a
 * child. Its rate is compared with the raw-write floor on the same engine; its live heap, for a
 * conversation ten times longer, shows whether it streams or holds a conversation whole.
 */
import { join } from 'node:path';
import { startFakeOpenIm } from '../test/support/fake-openim.ts';
import { runChild } from './child.ts';
import { progress } from './progress.ts';
import type { ReconcileChildConfig, ReconcileChildReport } from './reconcile-child.ts';

/** The sizes to reconcile: throughput on the first (with the floor), memory on both. */
export interface ReconcilePlan {
  readonly messages: readonly [number, number];
}

/** What the reconcile measurements found. */
export interface ReconcileResult {
  readonly small: ReconcileChildReport;
  readonly large: ReconcileChildReport;
}

/** A fake OpenIM with one conversation of `messages` text messages. */
async function fakeWith(messages: number) {
  const fake = await startFakeOpenIm({ variant: 'v3.8.3' });
  for (const userID of ['alice', 'bob']) fake.model.addUser({ userID });
  for (let i = 1; i <= messages; i += 1) {
    fake.model.sendMessage({
      sendID: i % 2 ? 'alice' : 'bob',
      recvID: i % 2 ? 'bob' : 'alice',
      content: JSON.stringify({ content: `message ${i}: see you at 5, bring the slides` }),
      sendTime: 1_746_777_600_000 + i * 1000,
    });
  }
  return fake;
}

/** Reconciles a conversation of `messages` in a child; with `floor`, the raw-write floor too. */
async function measureOne(messages: number, floor: boolean, nodeArgs: readonly string[]) {
  const fake = await fakeWith(messages);
  try {
    const config: ReconcileChildConfig = { url: fake.url, secret: fake.secret, messages, floor };
    const script = join(import.meta.dirname, 'reconcile-child.ts');
    const { result } = await runChild<ReconcileChildReport>(script, [JSON.stringify(config)], {
      env: { PATH: process.env.PATH },
      nodeArgs: ['--expose-gc', ...nodeArgs],
      timeoutMs: 1_800_000,
    });
    const rate = (result.messages / result.reconcileMs) * 1000;
    progress(
      `  reconcile of ${messages} seqs: ${rate.toFixed(0)}/s, live heap ` +
        `${result.heapStartMB.toFixed(1)} → at most ${result.heapPeakMB.toFixed(1)} MB`,
    );
    return result;
  } finally {
    await fake.close();
  }
}

/** Both sizes of the plan, the smaller with its floor. */
export async function measureReconcile(
  plan: ReconcilePlan,
  nodeArgs: readonly string[],
): Promise<ReconcileResult> {
  const [small, large] = plan.messages;
  return {
    small: await measureOne(small, true, nodeArgs),
    large: await measureOne(large, false, nodeArgs),
  };
}
