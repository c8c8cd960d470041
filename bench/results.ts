/**
 * `bench-results.json`: every figure as a number, the targets with pass/fail and margin, the
 * machine and the plan. Each ratio is a median of per-round ratios (see `medianRatio`).
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { buildBundle, composition } from './bundles.ts';
import type { ColdStartSample } from './cold-start.ts';
import type { ConcurrencyResult, EndToEndResult, LoadWindow } from './e2e.ts';
import type { ReconcileResult } from './reconcile.ts';
import { median, medianRatio, round } from './stats.ts';
import type { SynthesizedFunction } from './synth-child.ts';
import type { LeakResult } from './warm.ts';
import type { WarmWindow } from './warm-child.ts';

/** The machine, with the load averages that tell how busy other tenants kept it. */
export function describeMachine(loadBefore: readonly number[]) {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: totalmem() / 2 ** 30,
    os: `${process.platform} ${release()} (${process.arch})`,
    node: process.version,
    loadBefore,
    loadAfter: loadavg(),
  };
}

/** Everything one run measured, and where. */
export interface Measurements {
  readonly command: string;
  readonly plan: unknown;
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly machine: ReturnType<typeof describeMachine>;
  /** The commit measured, and how many files under lambda/, local/ and infra/ differ from it. */
  readonly source: { readonly commit: string; readonly uncommittedFiles: number };
  readonly fn: SynthesizedFunction;
  readonly bundles: Record<'receiver' | 'baseline' | 'requiredStack' | 'sdkExternal', Bundle>;
  readonly rebuildMatches: boolean;
  readonly composition: ReturnType<typeof composition>;
  readonly cold: Readonly<Record<string, ColdStartSample[]>>;
  readonly warm: Readonly<Record<string, WarmWindow[]>>;
  readonly leak: LeakResult;
  readonly e2e: EndToEndResult;
  readonly reconcile: ReconcileResult;
}

type Bundle = Awaited<ReturnType<typeof buildBundle>>;

/** The largest RSS growth over the leak check that still counts as flat. */
export const FLAT_RSS_MB = 5;

/**
 * How much more live heap a conversation ten times longer may take while it is reconciled and
 * still count as streamed, in MB.
 */
export const FLAT_RECONCILE_HEAP_MB = 5;

/** A target `value <= limit` or `value >= limit`; the margin is in percent of the limit. */
function check(value: number, op: '<=' | '>=', limit: number) {
  const margin = ((op === '<=' ? limit - value : value - limit) / limit) * 100;
  return { value, target: `${op} ${limit}`, pass: margin >= 0, marginPercent: round(margin, 1) };
}

/** One field of every cold start of a variant. */
export function coldField(m: Measurements, name: string, field: keyof ColdStartSample): number[] {
  return (m.cold[name] ?? []).map((s) => s[field] as number);
}

/** The end-to-end windows at `concurrency`. */
export function level(m: Measurements, concurrency: number): ConcurrencyResult {
  const found = m.e2e.levels.find((l) => l.concurrency === concurrency);
  if (!found) throw new Error(`no end-to-end result at ${concurrency} in flight`);
  return found;
}

/** Items per second. */
function perSecond(items: number, ms: number): number {
  return (items / ms) * 1000;
}

/** How much the live heap grew during a reconcile, in MB. */
function heapGrowth({ heapStartMB, heapPeakMB }: ReconcileResult['small']): number {
  return heapPeakMB - heapStartMB;
}

/** The figures of one run, as `bench-results.json` holds them. */
export function resultsJson(m: Measurements) {
  const cold = (name: string, field: keyof ColdStartSample = 'coldStartMs') =>
    round(median(coldField(m, name, field)), 1);
  const coldRatio = (name: string, of: string) =>
    round(medianRatio(coldField(m, name, 'coldStartMs'), coldField(m, of, 'coldStartMs')), 3);
  const warm = (name: string, key: 'opsPerSec' | 'cpuUsPerInvocation') =>
    (m.warm[name] ?? []).map((w) => w[key]);
  const e2e = (concurrency: number) => {
    const l = level(m, concurrency);
    const of = (w: LoadWindow[], key: keyof LoadWindow, digits: number) =>
      round(median(w.map((window) => window[key])), digits);
    const rate = (w: LoadWindow[]) => w.map((window) => window.msgsPerSec);
    const ratio = (a: LoadWindow[], b: LoadWindow[]) => round(medianRatio(rate(a), rate(b)), 3);
    return {
      rate: of(l.receiver, 'msgsPerSec', 0),
      p50: of(l.receiver, 'p50Ms', 2),
      p99: of(l.receiver, 'p99Ms', 2),
      floor: of(l.floor, 'msgsPerSec', 0),
      floorP99: of(l.floor, 'p99Ms', 2),
      conditional: of(l.conditionalFloor, 'msgsPerSec', 0),
      ratio: ratio(l.receiver, l.floor),
      conditionCost: ratio(l.conditionalFloor, l.floor),
      overConditional: ratio(l.receiver, l.conditionalFloor),
    };
  };
  const [two, many] = [e2e(2), e2e(32)];
  const figures = {
    bundleBytes: m.bundles.receiver.bytes,
    coldStartMs: cold('receiver'),
    coldStartBaselineMs: cold('baseline'),
    coldStartRatio: coldRatio('receiver', 'baseline'),
    warmOpsPerSec: round(median(warm('receiver', 'opsPerSec')), 0),
    warmBaselineOpsPerSec: round(median(warm('baseline', 'opsPerSec')), 0),
    warmRatio: round(medianRatio(warm('receiver', 'opsPerSec'), warm('baseline', 'opsPerSec')), 3),
    e2e2MsgsPerSec: two.rate,
    e2e2P99Ms: two.p99,
    e2e2FloorMsgsPerSec: two.floor,
    e2e2Ratio: two.ratio,
    e2e32MsgsPerSec: many.rate,
    e2e32P99Ms: many.p99,
    e2e32FloorMsgsPerSec: many.floor,
    e2e32Ratio: many.ratio,
    rssGrowthMB: round(m.leak.rssGrowthMB, 2),
    reconcileMsgsPerSec: round(
      perSecond(m.reconcile.small.messages, m.reconcile.small.reconcileMs),
      0,
    ),
    reconcileFloorMsgsPerSec: round(
      perSecond(m.reconcile.small.messages, m.reconcile.small.floorMs ?? Number.NaN),
      0,
    ),
    reconcileRatio: round(
      (m.reconcile.small.floorMs ?? Number.NaN) / m.reconcile.small.reconcileMs,
      3,
    ),
    reconcileHeapGrowthOverSmallMB: round(
      heapGrowth(m.reconcile.large) - heapGrowth(m.reconcile.small),
      2,
    ),
  };
  const warmCpuMs = (name: string) => round(median(warm(name, 'cpuUsPerInvocation')) / 1000, 3);
  return {
    ...figures,
    targets: {
      coldStartRatio: check(figures.coldStartRatio, '<=', 1.15),
      warmRatio: check(figures.warmRatio, '>=', 0.8),
      e2e2Ratio: check(figures.e2e2Ratio, '>=', 0.7),
      e2e32Ratio: check(figures.e2e32Ratio, '>=', 0.7),
      rssGrowthMB: check(figures.rssGrowthMB, '<=', FLAT_RSS_MB),
      reconcileRatio: check(figures.reconcileRatio, '>=', 0.5),
      reconcileHeapGrowthOverSmallMB: check(
        Math.max(0, figures.reconcileHeapGrowthOverSmallMB),
        '<=',
        FLAT_RECONCILE_HEAP_MB,
      ),
    },
    extra: {
      coldStartRequiredStackMs: cold('requiredStack'),
      coldStartRequiredStackRatio: coldRatio('requiredStack', 'baseline'),
      coldStartOverRequiredStackRatio: coldRatio('receiver', 'requiredStack'),
      coldStartRequiredStackCpuMs: cold('requiredStack', 'cpuMs'),
      requiredStackBundleBytes: m.bundles.requiredStack.bytes,
      coldStartSdkExternalMs: cold('sdkExternal'),
      coldStartSdkExternalOverBundledRatio: coldRatio('sdkExternal', 'receiver'),
      sdkExternalBundleBytes: m.bundles.sdkExternal.bytes,
      coldStartSourceMapsMs: cold('sourceMaps'),
      coldStartSourceMapsOverReceiverRatio: coldRatio('sourceMaps', 'receiver'),
      coldStartSourceMapsCpuMs: cold('sourceMaps', 'cpuMs'),
      baselineBundleBytes: m.bundles.baseline.bytes,
      coldStartInitMs: cold('receiver', 'initMs'),
      coldStartFirstInvokeMs: cold('receiver', 'firstInvokeMs'),
      coldStartCpuMs: cold('receiver', 'cpuMs'),
      coldStartBaselineCpuMs: cold('baseline', 'cpuMs'),
      coldStartProcessWallMs: cold('receiver', 'wallMs'),
      warmCpuMsPerInvocation: warmCpuMs('receiver'),
      warmBaselineCpuMsPerInvocation: warmCpuMs('baseline'),
      warmSdkSigningOpsPerSec: round(median(warm('sdkSigning', 'opsPerSec')), 0),
      warmSdkSigningCpuUsPerInvocation: round(median(warm('sdkSigning', 'cpuUsPerInvocation')), 0),
      warmOverSdkSigningRatio: round(
        medianRatio(warm('receiver', 'opsPerSec'), warm('sdkSigning', 'opsPerSec')),
        3,
      ),
      logBytesPerMessage: round(m.leak.logBytesPerInvocation, 0),
      heapGrowthMB: round(m.leak.heapGrowthMB, 2),
      rssGrowthSettledMB: round(m.leak.rssGrowthSettledMB, 2),
      e2e2P50Ms: two.p50,
      e2e32P50Ms: many.p50,
      e2e2FloorP99Ms: two.floorP99,
      e2e32FloorP99Ms: many.floorP99,
      e2e2ConditionalFloorMsgsPerSec: two.conditional,
      e2e2ConditionalFloorOverFloorRatio: two.conditionCost,
      e2e2OverConditionalFloorRatio: two.overConditional,
      e2e32ConditionalFloorMsgsPerSec: many.conditional,
      e2e32ConditionalFloorOverFloorRatio: many.conditionCost,
      e2e32OverConditionalFloorRatio: many.overConditional,
      e2eEngineConditionCpuUs: round(m.e2e.engineConditionUs, 0),
      npmStartStartupMs: round(m.e2e.startupMs, 0),
      // OpenIM sends after-callbacks from 2 workers, each waiting for its answer.
      openImMsgsPerSecPerInstanceLocal: round(2000 / two.p50, 0),
      storedItemBytes: m.e2e.storedItemBytes,
      lambdaMemoryMB: m.fn.memorySize,
      rebuildMatchesCdkBundle: m.rebuildMatches,
      reconcileLargeMsgsPerSec: round(
        perSecond(m.reconcile.large.messages, m.reconcile.large.reconcileMs),
        0,
      ),
      reconcileSmallHeapGrowthMB: round(heapGrowth(m.reconcile.small), 2),
      reconcileLargeHeapGrowthMB: round(heapGrowth(m.reconcile.large), 2),
      totalSeconds: round(m.totalSeconds, 0),
      generatedAt: m.startedAt,
      gitCommit: m.source.commit,
      uncommittedCodeFiles: m.source.uncommittedFiles,
      command: m.command,
    },
    machine: m.machine,
    runs: m.plan,
  };
}

/** What `resultsJson` returns. */
export type Results = ReturnType<typeof resultsJson>;

/** Throws unless every number in the results is finite: a broken measurement, not noise. */
export function assertFinite(value: unknown, path = 'results'): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`${path} is ${value}: a measurement broke`);
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) assertFinite(inner, `${path}.${key}`);
  }
}
