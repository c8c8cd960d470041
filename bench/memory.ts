/**
 * The leak check: RSS and heap after a full GC, before and after a long series of warm
 * invocations against the stub (`node --expose-gc`).
 */
import { stat } from 'node:fs/promises';
import type { FunctionLimits } from '../local/lambda-context.ts';
import { runChild } from './child.ts';
import { progress } from './progress.ts';
import { WARM_CHILD, type WarmTarget, warmBundles } from './warm.ts';
import type { MemoryCheckpoint, WarmConfig, WarmReport } from './warm-child.ts';

/** Options for {@link measureLeak}. */
export interface LeakOptions {
  readonly env: Readonly<Record<string, string>>;
  /** The function's memory and timeout, passed in the context. */
  readonly limits: FunctionLimits;
  /** Invocations after the warm-up, in total. */
  readonly invocations: number;
  /** How many checkpoints to take along the way. */
  readonly checkpoints: number;
  /** Invocations before the first measurement, so caches and JIT code settle. */
  readonly warmupInvocations: number;
  /** Where the function's log lines go, to count their bytes. */
  readonly logFile: string;
}

/** What the leak check found. */
export interface LeakResult {
  readonly checkpoints: MemoryCheckpoint[];
  /** RSS growth from the first to the last checkpoint, in MB. */
  readonly rssGrowthMB: number;
  /** Heap growth (live objects) from the first to the last checkpoint, in MB. */
  readonly heapGrowthMB: number;
  /** RSS growth after the first checkpoint, once the process has settled, in MB. */
  readonly rssGrowthSettledMB: number;
  /** How long the measured invocations took. */
  readonly measuredMs: number;
  /** Bytes of log lines the function wrote per invocation. */
  readonly logBytesPerInvocation: number;
}

/** Runs `target` for `invocations` after a warm-up, measuring memory at checkpoints. */
export async function measureLeak(
  target: WarmTarget,
  { env, limits, invocations, checkpoints, warmupInvocations, logFile }: LeakOptions,
): Promise<LeakResult> {
  const config: WarmConfig = {
    mode: 'leak',
    bundles: warmBundles([target]),
    limits,
    warmupMs: 0,
    warmupInvocations,
    checkpoints: Array.from({ length: checkpoints }, (_, i) =>
      Math.round(((i + 1) * invocations) / checkpoints),
    ),
  };
  const { result } = await runChild<WarmReport>(WARM_CHILD, [JSON.stringify(config)], {
    env,
    nodeArgs: ['--expose-gc'],
    timeoutMs: 300_000,
    stdoutFile: logFile,
  });
  const logBytes = (await stat(logFile)).size;
  const points = result.checkpoints ?? [];
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) throw new Error('the leak check reported no checkpoints');
  const leak: LeakResult = {
    checkpoints: points,
    rssGrowthMB: last.rssMB - first.rssMB,
    heapGrowthMB: last.heapUsedMB - first.heapUsedMB,
    rssGrowthSettledMB: last.rssMB - (points[1] ?? first).rssMB,
    measuredMs: result.measuredMs,
    logBytesPerInvocation: logBytes / (result.invocationsByName[target.name] ?? 1),
  };
  progress(
    `  leak check: RSS ${first.rssMB.toFixed(1)} → ${last.rssMB.toFixed(1)} MB, heap ${first.heapUsedMB.toFixed(1)} → ${last.heapUsedMB.toFixed(1)} MB over ${invocations} invocations`,
  );
  return leak;
}
