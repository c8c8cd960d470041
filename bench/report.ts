/**
 * The benchmark's outputs: `bench-results.json` (the figures as numbers, with the targets) and
 * `BENCHMARKS.md` (the figures, the machine, the commands, and what they mean in AWS).
 */
import {
  ASSUMED_API_GATEWAY_MS,
  ASSUMED_DYNAMO_PUT_MS,
  ASSUMED_NETWORK_RTT_MS,
  awsLatencyMs,
  type CostLine,
  costPerMillion,
  FULL_VCPU_MB,
  type MemoryOption,
  memoryOptions,
  openImMsgsPerSec,
  PRICES_CHECKED,
  type RateWall,
  rateWalls,
  warmDurationMs,
  writeUnitsPerMessage,
} from './aws-model.ts';
import type { SynthesizedFunction } from './bundles.ts';
import type { ColdStartSample } from './cold-start.ts';
import type { ConcurrencyResult, EndToEndResult, LoadWindow } from './e2e.ts';
import type { LeakResult } from './memory.ts';
import type { ProfileEntry, ProfileSummary } from './profile.ts';
import { median, pairedRatios, round, spreadPercent } from './stats.ts';
import type { WarmWindow } from './warm-child.ts';

/** A profile summary with how many invocations it covered. */
export type CountedProfile = ProfileSummary & { readonly invocations: number };

/** Everything the benchmark measured. */
export interface BenchData {
  readonly command: string;
  readonly quick: boolean;
  readonly plan: unknown;
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGB: number;
    readonly os: string;
    readonly node: string;
    readonly loadBefore: readonly number[];
    readonly loadAfter: readonly number[];
  };
  /** The code measured: a commit, and files under lambda/, local/ and infra/ changed from it. */
  readonly source: { readonly commit: string; readonly uncommittedFiles: number };
  readonly fn: SynthesizedFunction;
  readonly envNotes: readonly string[];
  readonly bundle: {
    readonly bytes: number;
    readonly rebuildMatches: boolean;
    readonly baselineBytes: number;
    readonly requiredStackBytes: number;
    readonly sdkExternalBytes: number;
    readonly composition: readonly { readonly name: string; readonly bytes: number }[];
  };
  readonly cold: Readonly<Record<string, ColdStartSample[]>>;
  readonly warm: Readonly<Record<string, WarmWindow[]>>;
  readonly leak: LeakResult;
  readonly e2e: EndToEndResult;
  readonly profiles: {
    readonly coldReceiver: ProfileSummary;
    readonly coldBaseline: ProfileSummary;
    readonly warmReceiver: CountedProfile;
    readonly warmBaseline: CountedProfile;
    readonly e2eReceiver: CountedProfile;
  };
  readonly model: {
    readonly itemBytes: number;
    readonly indexCount: number;
    readonly dayShards: number | undefined;
    readonly stageRateLimit: number;
    readonly stageBurstLimit: number;
  };
}

/** Figures computed from the measurements. */
export interface Derived {
  readonly warmCpuMs: number;
  readonly warmBaselineCpuMs: number;
  readonly coldCpuMs: number;
  readonly coldBaselineCpuMs: number;
  readonly cost: CostLine[];
  readonly memory: MemoryOption[];
  readonly walls: RateWall[];
  readonly awsLatencyMs: number;
}

/** One target and whether this run met it. */
export interface TargetCheck {
  readonly value: number;
  readonly target: string;
  readonly pass: boolean;
  /** How far from the target, in percent of the target (negative: missed). */
  readonly marginPercent: number;
}

/** The figures the issue names, as numbers. */
export interface Figures {
  readonly bundleBytes: number;
  readonly coldStartMs: number;
  readonly coldStartBaselineMs: number;
  readonly coldStartRatio: number;
  readonly warmOpsPerSec: number;
  readonly warmBaselineOpsPerSec: number;
  readonly warmRatio: number;
  readonly e2e2MsgsPerSec: number;
  readonly e2e2P99Ms: number;
  readonly e2e2FloorMsgsPerSec: number;
  readonly e2e2Ratio: number;
  readonly e2e32MsgsPerSec: number;
  readonly e2e32P99Ms: number;
  readonly e2e32FloorMsgsPerSec: number;
  readonly e2e32Ratio: number;
  readonly rssGrowthMB: number;
}

/** `bench-results.json`: the figures, the targets, and supporting numbers. */
export type Results = Figures & {
  readonly targets: Record<string, TargetCheck>;
  readonly extra: Record<string, number | string | boolean>;
  readonly machine: BenchData['machine'];
  readonly runs: unknown;
};

/** The largest RSS growth over the leak check that still counts as flat (~50 B/invocation). */
const FLAT_RSS_MB = 5;

/** Samples of one field of a variant's cold starts. */
function coldField(data: BenchData, name: string, field: keyof ColdStartSample): number[] {
  return (data.cold[name] ?? []).map((s) => s[field] as number);
}

/** The windows of one kind at one concurrency. */
function level(data: BenchData, concurrency: number): ConcurrencyResult {
  const found = data.e2e.levels.find((l) => l.concurrency === concurrency);
  if (!found) throw new Error(`no end-to-end result at ${concurrency} in flight`);
  return found;
}

/** A field of every window. */
function field(windows: readonly LoadWindow[], key: 'msgsPerSec' | 'p50Ms' | 'p99Ms'): number[] {
  return windows.map((w) => w[key]);
}

/** Computes the derived figures and the AWS model. */
export function derive(data: BenchData): Derived {
  const warmCpuMs = median(data.warm.receiver?.map((w) => w.cpuUsPerInvocation) ?? []) / 1000;
  const warmBaselineCpuMs =
    median(data.warm.baseline?.map((w) => w.cpuUsPerInvocation) ?? []) / 1000;
  const coldCpuMs = median(coldField(data, 'receiver', 'cpuMs'));
  const coldBaselineCpuMs = median(coldField(data, 'baseline', 'cpuMs'));
  return {
    warmCpuMs,
    warmBaselineCpuMs,
    coldCpuMs,
    coldBaselineCpuMs,
    cost: costPerMillion({
      itemBytes: data.model.itemBytes,
      indexCount: data.model.indexCount,
      memoryMB: data.fn.memorySize,
      warmCpuMs,
      coldCpuMs,
      coldStartShare: 0.01,
      functionLogBytes: data.leak.logBytesPerInvocation,
    }),
    memory: memoryOptions(warmCpuMs, coldCpuMs),
    walls: rateWalls({
      stageRateLimit: data.model.stageRateLimit,
      stageBurstLimit: data.model.stageBurstLimit,
      warmDurationMs: warmDurationMs(warmCpuMs, data.fn.memorySize),
      itemBytes: data.model.itemBytes,
      dayShards: data.model.dayShards,
    }),
    awsLatencyMs: awsLatencyMs(warmCpuMs, data.fn.memorySize),
  };
}

/** A target of the form `value <= limit` or `value >= limit`. */
function check(value: number, op: '<=' | '>=', limit: number): TargetCheck {
  const pass = op === '<=' ? value <= limit : value >= limit;
  const margin = op === '<=' ? (limit - value) / limit : (value - limit) / limit;
  return { value, target: `${op} ${limit}`, pass, marginPercent: round(margin * 100, 1) };
}

/** The figures as numbers, with the targets checked. */
export function resultsJson(data: BenchData, derived: Derived): Results {
  const cold = (name: string) => median(coldField(data, name, 'coldStartMs'));
  /** The median per-round ratio of variant `name`'s cold start over `reference`'s. */
  const coldRatioOf = (name: string, reference = 'baseline') =>
    median(
      pairedRatios(coldField(data, name, 'coldStartMs'), coldField(data, reference, 'coldStartMs')),
    );
  const warmOps = (name: string) => data.warm[name]?.map((w) => w.opsPerSec) ?? [];
  /** The median per-window ratio of target `name`'s warm rate over `reference`'s. */
  const warmRatioOf = (name: string, reference = 'baseline') =>
    median(pairedRatios(warmOps(name), warmOps(reference)));
  const e2e = (concurrency: number) => {
    const l = level(data, concurrency);
    /** The median per-round ratio of kind `a`'s rate over kind `b`'s. */
    const rateRatio = (a: LoadWindow[], b: LoadWindow[]) =>
      median(pairedRatios(field(a, 'msgsPerSec'), field(b, 'msgsPerSec')));
    return {
      rate: median(field(l.receiver, 'msgsPerSec')),
      p50: median(field(l.receiver, 'p50Ms')),
      p99: median(field(l.receiver, 'p99Ms')),
      floor: median(field(l.floor, 'msgsPerSec')),
      floorP99: median(field(l.floor, 'p99Ms')),
      conditional: median(field(l.conditionalFloor, 'msgsPerSec')),
      ratio: rateRatio(l.receiver, l.floor),
      /** The receiver over the floor with its condition: the HTTP layer and the handler. */
      overConditional: rateRatio(l.receiver, l.conditionalFloor),
      /** The floor with the condition over the plain floor: the engine's cost of the condition. */
      conditionCost: rateRatio(l.conditionalFloor, l.floor),
    };
  };
  const two = e2e(2);
  const many = e2e(32);
  const totalCost = derived.cost.reduce((sum, line) => sum + line.usdPerMillion, 0);
  const firstWall = derived.walls[0];
  const figures: Figures = {
    bundleBytes: data.bundle.bytes,
    coldStartMs: round(cold('receiver'), 1),
    coldStartBaselineMs: round(cold('baseline'), 1),
    coldStartRatio: round(coldRatioOf('receiver'), 3),
    warmOpsPerSec: round(median(warmOps('receiver')), 0),
    warmBaselineOpsPerSec: round(median(warmOps('baseline')), 0),
    warmRatio: round(warmRatioOf('receiver'), 3),
    e2e2MsgsPerSec: round(two.rate, 0),
    e2e2P99Ms: round(two.p99, 2),
    e2e2FloorMsgsPerSec: round(two.floor, 0),
    e2e2Ratio: round(two.ratio, 3),
    e2e32MsgsPerSec: round(many.rate, 0),
    e2e32P99Ms: round(many.p99, 2),
    e2e32FloorMsgsPerSec: round(many.floor, 0),
    e2e32Ratio: round(many.ratio, 3),
    rssGrowthMB: round(data.leak.rssGrowthMB, 2),
  };
  return {
    ...figures,
    targets: {
      coldStartRatio: check(figures.coldStartRatio, '<=', 1.15),
      warmRatio: check(figures.warmRatio, '>=', 0.8),
      e2e2Ratio: check(figures.e2e2Ratio, '>=', 0.7),
      e2e32Ratio: check(figures.e2e32Ratio, '>=', 0.7),
      rssGrowthMB: check(figures.rssGrowthMB, '<=', FLAT_RSS_MB),
    },
    extra: {
      coldStartRequiredStackMs: round(cold('requiredStack'), 1),
      coldStartRequiredStackRatio: round(coldRatioOf('requiredStack'), 3),
      coldStartOverRequiredStackRatio: round(coldRatioOf('receiver', 'requiredStack'), 3),
      coldStartRequiredStackCpuMs: round(median(coldField(data, 'requiredStack', 'cpuMs')), 1),
      requiredStackBundleBytes: data.bundle.requiredStackBytes,
      coldStartSdkExternalMs: round(cold('sdkExternal'), 1),
      coldStartSdkExternalOverBundledRatio: round(coldRatioOf('sdkExternal', 'receiver'), 3),
      sdkExternalBundleBytes: data.bundle.sdkExternalBytes,
      coldStartSourceMapsMs: round(cold('sourceMaps'), 1),
      coldStartSourceMapsOverReceiverRatio: round(coldRatioOf('sourceMaps', 'receiver'), 3),
      coldStartSourceMapsCpuMs: round(median(coldField(data, 'sourceMaps', 'cpuMs')), 1),
      baselineBundleBytes: data.bundle.baselineBytes,
      coldStartInitMs: round(median(coldField(data, 'receiver', 'initMs')), 1),
      coldStartFirstInvokeMs: round(median(coldField(data, 'receiver', 'firstInvokeMs')), 1),
      coldStartCpuMs: round(derived.coldCpuMs, 1),
      coldStartBaselineCpuMs: round(derived.coldBaselineCpuMs, 1),
      coldStartProcessWallMs: round(median(coldField(data, 'receiver', 'wallMs')), 1),
      warmCpuMsPerInvocation: round(derived.warmCpuMs, 3),
      warmBaselineCpuMsPerInvocation: round(derived.warmBaselineCpuMs, 3),
      logBytesPerMessage: round(data.leak.logBytesPerInvocation, 0),
      heapGrowthMB: round(data.leak.heapGrowthMB, 2),
      rssGrowthSettledMB: round(data.leak.rssGrowthSettledMB, 2),
      e2e2P50Ms: round(two.p50, 2),
      e2e32P50Ms: round(many.p50, 2),
      e2e2FloorP99Ms: round(two.floorP99, 2),
      e2e32FloorP99Ms: round(many.floorP99, 2),
      e2e2ConditionalFloorMsgsPerSec: round(two.conditional, 0),
      e2e2ConditionalFloorOverFloorRatio: round(two.conditionCost, 3),
      e2e2OverConditionalFloorRatio: round(two.overConditional, 3),
      e2e32ConditionalFloorMsgsPerSec: round(many.conditional, 0),
      e2e32ConditionalFloorOverFloorRatio: round(many.conditionCost, 3),
      e2e32OverConditionalFloorRatio: round(many.overConditional, 3),
      e2eEngineConditionCpuUs: round(data.e2e.engineConditionUs, 0),
      openImMsgsPerSecPerInstanceLocal: round(openImMsgsPerSec(two.p50), 0),
      openImMsgsPerSecPerInstanceAwsEstimate: round(openImMsgsPerSec(derived.awsLatencyMs), 0),
      storedItemBytes: data.model.itemBytes,
      writeUnitsPerMessage: writeUnitsPerMessage(data.model.itemBytes, data.model.indexCount),
      costPerMillionMessagesUsd: round(totalCost, 3),
      firstWallMsgsPerSec: round(firstWall?.msgsPerSec ?? 0, 0),
      firstWall: firstWall?.limit ?? '',
      lambdaMemoryMB: data.fn.memorySize,
      rebuildMatchesCdkBundle: data.bundle.rebuildMatches,
      totalSeconds: round(data.totalSeconds, 0),
      generatedAt: data.startedAt,
      gitCommit: data.source.commit,
      uncommittedCodeFiles: data.source.uncommittedFiles,
      command: data.command,
    },
    machine: data.machine,
    runs: data.plan,
  };
}

/** A Markdown table. */
function table(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number with a fixed count of decimals. */
function n(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** USD with enough decimals for small per-message figures. */
function usd(value: number): string {
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(3)}`;
}

/** `median (IQR ±x%)` of the samples. */
function spread(samples: readonly number[], digits = 1): string {
  return `${n(median(samples), digits)} (±${n(spreadPercent(samples) / 2, 0)}%)`;
}

/** Profile components (or packages) side by side, per run or per invocation, with the difference. */
function componentTable(
  ours: ProfileSummary,
  theirs: ProfileSummary,
  scale: { ours: number; theirs: number; unit: string; digits: number },
  by: 'components' | 'packages' = 'components',
  limit = 14,
): string {
  const names = [...new Set([...ours[by], ...theirs[by]].map((c) => c.name))];
  const of = (list: readonly ProfileEntry[], name: string) =>
    list.find((c) => c.name === name)?.ms ?? 0;
  const all = names.map((name) => {
    const a = of(ours[by], name) * scale.ours;
    const b = of(theirs[by], name) * scale.theirs;
    return { name, a, b, delta: a - b };
  });
  const rows = all
    .filter((r) => Math.abs(r.a) + Math.abs(r.b) >= 10 ** -scale.digits)
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))
    .slice(0, limit)
    .sort((x, y) => y.delta - x.delta);
  const total = all.reduce(
    (sum, r) => ({ a: sum.a + r.a, b: sum.b + r.b, delta: sum.delta + r.delta }),
    { a: 0, b: 0, delta: 0 },
  );
  return table(
    ['component', `receiver (${scale.unit})`, `baseline (${scale.unit})`, 'difference'],
    [
      ...rows.map((r) => [
        r.name,
        n(r.a, scale.digits),
        n(r.b, scale.digits),
        `${r.delta >= 0 ? '+' : ''}${n(r.delta, scale.digits)}`,
      ]),
      [
        `**total (busy${rows.length < all.length ? ', all rows' : ''})**`,
        `**${n(total.a, scale.digits)}**`,
        `**${n(total.b, scale.digits)}**`,
        `**${total.delta >= 0 ? '+' : ''}${n(total.delta, scale.digits)}**`,
      ],
    ],
  );
}

/** The functions with the most self time. */
function functionTable(summary: ProfileSummary, scale: number, unit: string, count = 12): string {
  return table(
    ['function', 'where', unit, 'share'],
    summary.functions
      .slice(0, count)
      .map((f) => [
        `\`${f.name.replace(/\|/g, '\\|')}\``,
        f.location ? `\`${f.location}\`` : '',
        n(f.ms * scale, 2),
        `${n(f.percent, 1)}%`,
      ]),
  );
}

/** The largest positive differences between two profiles, as prose. */
function largestExtras(
  ours: ProfileSummary,
  theirs: ProfileSummary,
  scale: { ours: number; theirs: number; unit: string; digits: number },
  by: 'components' | 'packages' = 'components',
  count = 5,
): string {
  const of = (list: readonly ProfileEntry[], name: string) =>
    list.find((c) => c.name === name)?.ms ?? 0;
  return [...new Set(ours[by].map((c) => c.name))]
    .map((name) => ({
      name,
      delta: of(ours[by], name) * scale.ours - of(theirs[by], name) * scale.theirs,
    }))
    .filter((c) => c.delta > 0)
    .sort((a, b) => b.delta - a.delta)
    .slice(0, count)
    .map((c) => `${c.name} +${n(c.delta, scale.digits)} ${scale.unit}`)
    .join(', ');
}

/** How the cold-start budget splits between the required libraries and the receiver's own code. */
function ownShare(receiverRatio: number, requiredRatio: number): string {
  const total = (receiverRatio - 1) * 100;
  const libraries = (requiredRatio - 1) * 100;
  if (libraries >= total) {
    return `In this run the libraries alone took all of the receiver's ${n(total, 0)}% over the baseline (${n(libraries, 0)}%): the receiver's own code cost less than the run's noise.`;
  }
  return `Of the receiver's ${n(total, 0)}% over the baseline, about ${n(libraries, 0)} points are those libraries before the receiver does anything of its own, and ${n(total - libraries, 0)} are its own code.`;
}

/** The status cell for a target. */
function status(check: TargetCheck | undefined): string {
  if (!check) return '';
  if (!check.pass) return `❌ **miss** by ${n(Math.abs(check.marginPercent), 1)}%`;
  return check.marginPercent < 5
    ? `✅ pass (margin only ${n(check.marginPercent, 1)}%)`
    : '✅ pass';
}

/** Renders `BENCHMARKS.md`. */
export function renderMarkdown(data: BenchData, derived: Derived, results: Results): string {
  const t = results.targets;
  const x = results.extra;
  const p = data.profiles;
  const warmScale = {
    ours: 1000 / p.warmReceiver.invocations,
    theirs: 1000 / p.warmBaseline.invocations,
    unit: 'µs/invocation',
    digits: 1,
  };
  const coldScale = { ours: 1, theirs: 1, unit: 'ms/run', digits: 1 };
  const totalCost = derived.cost.reduce((sum, line) => sum + line.usdPerMillion, 0);
  const dynamoCost = derived.cost.find((c) => c.item.startsWith('DynamoDB'))?.usdPerMillion ?? 0;
  const lambdaCost = derived.cost
    .filter((c) => c.item.startsWith('Lambda'))
    .reduce((sum, c) => sum + c.usdPerMillion, 0);
  const chosen = derived.memory.find((m) => m.memoryMB === data.fn.memorySize);
  const at = (mb: number) => derived.memory.find((m) => m.memoryMB === mb);
  const firstWall = derived.walls[0];
  const perInstanceAws = openImMsgsPerSec(derived.awsLatencyMs);
  const perMessage = (names: readonly string[]) =>
    p.e2eReceiver.components
      .filter((c) => names.some((name) => c.name.startsWith(name)))
      .reduce((sum, c) => sum + (c.ms * 1000) / p.e2eReceiver.invocations, 0);
  const e2eMainThread = `${n(perMessage(['AWS SDK']), 0)} µs per message in the SDK, ${n(perMessage(['Node.js core']), 0)} in Node's HTTP and crypto code, ${n(perMessage(['receiver code', 'middy', 'Powertools', 'valibot', 'local server']), 0)} in the receiver's own code, middy, Powertools, valibot and the local server`;
  const externalFaster = Number(x.coldStartSdkExternalOverBundledRatio) < 0.97;
  const sqsBytes = data.bundle.composition
    .filter((c) => c.name.includes('-sqs'))
    .reduce((sum, c) => sum + c.bytes, 0);
  const failing = Object.entries(t).filter(([, c]) => !c.pass);
  const twoLevel = level(data, 2);
  const manyLevel = level(data, 32);

  const sections: string[] = [];
  sections.push(`# Benchmarks

Generated by \`${data.command}\` on ${data.startedAt.slice(0, 16).replace('T', ' ')} UTC; the run took
${n(data.totalSeconds, 0)} s. Every figure is a median over interleaved runs of the receiver and its
baseline (see [Method](#method)); \`bench-results.json\` has the same figures as numbers.${data.quick ? '\n\n> **Quick mode (`BENCH_QUICK=1`): too few runs for stable figures.**' : ''}

## Results

| Figure | Receiver | Baseline / floor | Ratio | Target | Status |
|---|---|---|---|---|---|
| Bundle (\`index.mjs\` as the CDK builds it) | ${results.bundleBytes} B | ${data.bundle.baselineBytes} B | ${n(results.bundleBytes / data.bundle.baselineBytes, 2)} | | |
| Cold start: INIT + first invocation | ${results.coldStartMs} ms | ${results.coldStartBaselineMs} ms | ${results.coldStartRatio} | ≤ 1.15 | ${status(t.coldStartRatio)} |
| Warm invocations (storage stubbed) | ${results.warmOpsPerSec}/s | ${results.warmBaselineOpsPerSec}/s | ${results.warmRatio} | ≥ 0.8 | ${status(t.warmRatio)} |
| \`npm start\`, 2 in flight | ${results.e2e2MsgsPerSec} msg/s, p99 ${results.e2e2P99Ms} ms | ${results.e2e2FloorMsgsPerSec} msg/s | ${results.e2e2Ratio} | ≥ 0.7 | ${status(t.e2e2Ratio)} |
| \`npm start\`, 32 in flight | ${results.e2e32MsgsPerSec} msg/s, p99 ${results.e2e32P99Ms} ms | ${results.e2e32FloorMsgsPerSec} msg/s | ${results.e2e32Ratio} | ≥ 0.7 | ${status(t.e2e32Ratio)} |
| RSS growth over ${data.leak.checkpoints.at(-1)?.invocations ?? 0} warm invocations | ${results.rssGrowthMB} MB | | | ≤ ${FLAT_RSS_MB} MB (flat) | ${status(t.rssGrowthMB)} |

Ratios are the median of per-round ratios (each receiver run divided by the baseline run next to it),
which cancels drift on a shared machine; they can differ from the ratio of the two medians.
Interleaving cancels drift within a run but not between runs: on this shared 2-core machine single
one-second end-to-end windows of the same code gave ratios from about 0.5 to 1.0, and the cold-start
and end-to-end ratios of whole runs moved by up to about 0.15 from one run to the next, so a figure
that close to its target can land on either side of it.`);

  if (failing.length > 0) {
    const lines = failing.map(([name, c]) => {
      const why: Record<string, string> = {
        coldStartRatio: `The receiver's cold start costs ${n(results.coldStartMs - results.coldStartBaselineMs)} ms more than the baseline's. The required libraries alone (middy, valibot, Powertools, a conditional put) start at ${x.coldStartRequiredStackRatio} times the baseline in this run, and the receiver at ${x.coldStartOverRequiredStackRatio} times them. The cold-start profile (below) puts the extra in: ${largestExtras(p.coldReceiver, p.coldBaseline, coldScale)}.`,
        warmRatio: `Each warm invocation costs ${n((derived.warmCpuMs - derived.warmBaselineCpuMs) * 1000, 0)} µs more CPU than the baseline's (${n(derived.warmCpuMs * 1000, 0)} vs ${n(derived.warmBaselineCpuMs * 1000, 0)} µs). The warm profile puts the extra in: ${largestExtras(p.warmReceiver, p.warmBaseline, warmScale, 'packages', 7)}.`,
        e2e2Ratio: `At 2 in flight the rate is set by latency, and the receiver's path does more in series: the load generator's HTTP client, then on the receiver's main thread the HTTP server, the handler and its SDK client (${e2eMainThread}), then the engine, which for the receiver's conditional put also runs dynalite's expression parser (${n(data.e2e.engineConditionUs, 0)} µs per put, measured in this run; the floor's unconditional put skips it). The floor is the SDK client and the engine alone. With the receiver's condition added, the floor drops to ${x.e2e2ConditionalFloorOverFloorRatio} of itself, and the receiver reaches ${x.e2e2OverConditionalFloorRatio} of that floor: the first is the engine's price for storing nothing twice, the second the HTTP layer and the handler.`,
        e2e32Ratio: `At 32 in flight both cores are busy, so the ratio is one of CPU per message: the receiver's path adds the load generator's HTTP client, the receiver's HTTP server and handler, and dynalite's expression parser (${n(data.e2e.engineConditionUs, 0)} µs per put) to the SDK client and engine work that the floor also does. With the receiver's condition added, the floor drops to ${x.e2e32ConditionalFloorOverFloorRatio} of itself, and the receiver reaches ${x.e2e32OverConditionalFloorRatio} of that floor.`,
        rssGrowthMB: `RSS grew by ${results.rssGrowthMB} MB and the heap by ${n(data.leak.heapGrowthMB, 2)} MB.`,
      };
      return `- **${name}** = ${c.value}, target ${c.target}: missed by ${n(Math.abs(c.marginPercent), 1)}%. ${why[name] ?? ''}`;
    });
    sections.push(`### Targets missed in this run\n\n${lines.join('\n')}`);
  }

  sections.push(`## Machine and commands

| | |
|---|---|
| CPU | ${data.machine.cpu}, ${data.machine.cores} cores |
| Memory | ${n(data.machine.memoryGB, 0)} GiB |
| OS | ${data.machine.os} |
| Node.js | ${data.machine.node} (from \`node_modules\`, the runtime Lambda uses) |
| Load average (1/5/15 min) | before ${data.machine.loadBefore.map((l) => n(l, 2)).join(' / ')}, after ${data.machine.loadAfter.map((l) => n(l, 2)).join(' / ')} |
| Code measured | commit \`${data.source.commit}\`${data.source.uncommittedFiles ? ` plus ${data.source.uncommittedFiles} uncommitted file(s) under \`lambda/\`, \`local/\`, \`infra/\`` : ''} |
| Deployed function | ${data.fn.runtime}, ${data.fn.architectures.join(', ')}, ${data.fn.memorySize} MB, ${data.fn.timeoutSeconds} s timeout |

Reproduce on a fresh clone (no AWS account or network needed):

\`\`\`sh
npm ci
${data.command}
\`\`\`

It writes \`BENCHMARKS.md\` and \`bench-results.json\` and prints progress on stderr. Its scratch files
(the cloud assembly, bundles, profiles, the engine's data) live in a temporary folder that it deletes.
To look at a profile yourself, run a cold start or \`npm start\` under \`node --cpu-prof\` and open the
\`.cpuprofile\` in Chrome DevTools; \`bench/profile.ts\` is what summarizes them below.`);

  sections.push(`## Method

- **Bundle.** The real app (\`infra/app.ts\`, with \`cdk.json\`'s context) is synthesized with real
  esbuild bundling into a temporary folder, and the function's \`index.mjs\` is found through the
  template and the asset manifest. The baseline and the variants are bundled with esbuild using the
  options of \`infra/receiver-function.ts\` (ESM, minified, \`node24\`, \`module,main\`, the \`require\`
  banner, source maps without sources, SDK bundled); rebuilding the receiver with those options
  gives ${data.bundle.rebuildMatches ? '**the same bytes** as the CDK' : '**different bytes** from the CDK (the options in `bench/bundles.ts` need updating)'}.
- **Baseline** (\`bench/baseline-handler.ts\`): \`JSON.parse\` of the body and one raw \`PutItem\` of its
  fields with \`@aws-sdk/client-dynamodb\`; no validation, middleware, logging or auth.
- **Required stack** (\`bench/required-stack-handler.ts\`, cold start only): the libraries the
  receiver must use and nothing of its own. middy with its HTTP middlewares (header normalizer,
  JSON body parser, error handler), the receiver's valibot schema, Powertools Logger and Metrics with
  their middlewares, and one conditional \`PutItem\` of the marshalled body; no authentication,
  secret, fallback, record building, size check, deadlines or OpenIM error shape.
- **Environment.** Each bundle runs with the function's variables from the synthesized template
  (\`POWERTOOLS_*\`, \`TABLE_NAME\`) plus what Lambda sets (\`AWS_REGION\`,
  \`AWS_LAMBDA_FUNCTION_*\`, credentials), pointed at a local endpoint. The Basic-auth check is
  measured: \`WEBHOOK_CREDENTIALS=bench:bench-password\` and every request carries
  \`Authorization: Basic …\`. ${data.envNotes.length ? `Not set: ${data.envNotes.join('; ')}. In AWS the first invocation also reads the secret from Secrets Manager (one network round trip per environment per minute), which these figures leave out.` : ''}
- **Cold start** (${data.cold.receiver?.length ?? 0} runs each): a fresh Node process imports the
  bundle (INIT) and serves one invocation against the local engine (dynalite, in memory). The figure
  is INIT plus the first invocation, measured inside the process; Node's own start is the same for
  every bundle and is left out (process wall time is in the JSON). Receiver, baseline, required
  stack, SDK-external and source-maps runs alternate, forward then backward.
- **Warm** (${data.warm.receiver?.length ?? 0} windows each): one process loads the bundles (receiver, baseline, and
  the receiver with the SDK's own request signing) and invokes
  each back to back in alternating ${(data.plan as { warm: { windowMs: number } }).warm.windowMs} ms windows, after a
  warm-up; storage is a stub HTTP endpoint in its own process that answers every \`PutItem\` with
  \`{}\`, so only our code and the SDK's request building, signing and parsing are measured. CPU time
  per invocation comes from \`process.cpuUsage()\`. The function's log lines are written (to
  \`/dev/null\`, so disk writeback does not add noise); the leak check writes them to a file to count
  their bytes.
- **End to end** (${twoLevel.receiver.length} windows each): \`node local/start.ts\` (what \`npm start\` runs) with
  \`PORT=0\`, a free \`DYNAMODB_PORT\` and a temporary \`DATA_DIR\` (the engine on disk); the load
  generator keeps 2 or 32 OpenIM requests in flight over keep-alive connections and checks every
  answer. The floor is a raw \`PutItem\` of the same item (built by \`lambda/message-record.ts\`) into
  the same engine at the same concurrency. A second floor sends that put with the receiver's
  condition (\`attribute_not_exists(#id)\`); windows of the three alternate, forward then backward.
  Before any window, each
  kind runs unmeasured for ${(data.plan as { e2e: { steadyWarmupMs: number } }).e2e.steadyWarmupMs / 1000} s at 32 in flight: the receiver's process needs a few
  thousand messages before V8 has optimized the handler, the SDK and the engine (at 2 in flight
  alone its rate was still climbing after ten seconds), and the figures are for a receiver that has
  been running, as OpenIM's is.
- **Leak check**: ${data.leak.checkpoints.at(-1)?.invocations ?? 0} warm invocations against the stub after a warm-up, with
  RSS and heap read after two full GCs (\`--expose-gc\`) at ${data.leak.checkpoints.length} checkpoints.
- **Profiles**: V8's sampling profiler (\`node --cpu-prof\`, ${'250'} µs interval), restricted to the
  measured window; minified frames are mapped back to packages and source lines through the bundle's
  source map. Cold-start profiles use a build that keeps line breaks (identifiers still minified) so
  that the bundle's top-level code is charged to the package each line came from.`);

  const cold = (name: string, key: keyof ColdStartSample, digits = 1) =>
    spread(coldField(data, name, key), digits);
  sections.push(`## Cold start

| Bundle | Bytes | INIT (ms) | First invocation (ms) | INIT + first (ms) | CPU (ms) | Process wall (ms) |
|---|---|---|---|---|---|---|
| receiver (SDK bundled, as deployed) | ${data.bundle.bytes} | ${cold('receiver', 'initMs')} | ${cold('receiver', 'firstInvokeMs')} | **${cold('receiver', 'coldStartMs')}** | ${cold('receiver', 'cpuMs')} | ${cold('receiver', 'wallMs')} |
| baseline | ${data.bundle.baselineBytes} | ${cold('baseline', 'initMs')} | ${cold('baseline', 'firstInvokeMs')} | **${cold('baseline', 'coldStartMs')}** | ${cold('baseline', 'cpuMs')} | ${cold('baseline', 'wallMs')} |
| required stack alone (reference) | ${data.bundle.requiredStackBytes} | ${cold('requiredStack', 'initMs')} | ${cold('requiredStack', 'firstInvokeMs')} | **${cold('requiredStack', 'coldStartMs')}** | ${cold('requiredStack', 'cpuMs')} | ${cold('requiredStack', 'wallMs')} |
| receiver, SDK external (from \`node_modules\`) | ${data.bundle.sdkExternalBytes} | ${cold('sdkExternal', 'initMs')} | ${cold('sdkExternal', 'firstInvokeMs')} | **${cold('sdkExternal', 'coldStartMs')}** | ${cold('sdkExternal', 'cpuMs')} | ${cold('sdkExternal', 'wallMs')} |
| receiver with \`--enable-source-maps\` | ${data.bundle.bytes} | ${cold('sourceMaps', 'initMs')} | ${cold('sourceMaps', 'firstInvokeMs')} | **${cold('sourceMaps', 'coldStartMs')}** | ${cold('sourceMaps', 'cpuMs')} | ${cold('sourceMaps', 'wallMs')} |

(± is half the interquartile range, relative to the median.)

### How much of the gap the required libraries take

The required stack alone (middy, valibot, Powertools Logger and Metrics, a conditional put; see
[Method](#method)) starts at ${x.coldStartRequiredStackRatio} times the baseline, per round, in this run, and the receiver at
${x.coldStartOverRequiredStackRatio} times the required stack. By medians: receiver ${results.coldStartMs} ms, required stack
${x.coldStartRequiredStackMs} ms, baseline ${results.coldStartBaselineMs} ms; CPU ${x.coldStartCpuMs}, ${x.coldStartRequiredStackCpuMs} and ${x.coldStartBaselineCpuMs} ms. ${ownShare(Number(results.coldStartRatio), Number(x.coldStartRequiredStackRatio))}
What the receiver adds to those libraries is its own features: Basic auth with the secret's code,
the fallback, record building and size checks, deadlines, OpenIM's error shape and metrics.

### Bundle the AWS SDK, or leave it external?

Measured in the same run: the receiver with the SDK bundled starts in ${results.coldStartMs} ms; with
\`@aws-sdk/*\` and \`@smithy/*\` left external and resolved from \`node_modules\` (as Lambda would resolve
them from its runtime) it starts in ${x.coldStartSdkExternalMs} ms, a per-round ratio of ${x.coldStartSdkExternalOverBundledRatio}.
${externalFaster ? '**Leaving the SDK external was faster in this run.** Weigh that against pinning the SDK that the tests ran against before changing `infra/receiver-function.ts`.' : '**Decision: keep the SDK bundled** (as `infra/receiver-function.ts` does).'} One minified, tree-shaken
ESM file is parsed once, while the external SDK is dozens of CommonJS files to resolve, read and
compile (the SDK's own \`dist-cjs\` bundles, not tree-shaken). Bundling also pins the SDK version the
tests ran against, where the runtime's copy changes under the function. In Lambda the runtime's SDK
may sit in a warm page cache, which narrows the gap but does not remove the extra compile work.

The SQS client (${sqsBytes} bytes of the bundle) only serves the fallback. It stays bundled, so
that the last line of defence when the table fails runs the SDK the tests ran, not whichever copy
the runtime carries that day; but \`handler.ts\` imports it dynamically on the first record kept
(\`lambda/sqs-fallback.ts\`), and esbuild defers such a module: a cold start only skims its code,
never running or fully compiling it, for a few KB of wrappers in the bundle. The ColdStart metric is left out too: nothing reads it, and Lambda reports
each INIT's duration itself.

### Source maps at run time?

The same bundle with Node reading its source map (\`NODE_OPTIONS=--enable-source-maps\`, which the
function used to set) starts in ${x.coldStartSourceMapsMs} ms against ${results.coldStartMs} ms, a per-round
ratio of ${x.coldStartSourceMapsOverReceiverRatio}, and takes ${x.coldStartSourceMapsCpuMs} ms of CPU against ${n(Number(x.coldStartCpuMs))}: Node reads the map, measures every
line of the bundle and indexes the mappings before the first line runs, a cost that grows with the
bundle. **Decision: off**${Number(x.coldStartSourceMapsOverReceiverRatio) > 1.02 ? '' : ' (it cost little in this run, and buys nothing)'}: the receiver logs no stack traces (error names only), so
there is nothing for it to map. The map still ships beside the bundle, to decode a minified
position offline, or for a debugging session with the option set.

### Bundle composition (bytes of minified output by package)

${table(
  ['package', 'bytes', 'share'],
  data.bundle.composition
    .slice(0, 14)
    .map((c) => [c.name, c.bytes, `${n((c.bytes / data.bundle.bytes) * 100, 1)}%`]),
)}

### What the cold-start profile shows

Self time inside INIT + first invocation, averaged per run (${'profiled'} build; sampling inflates
absolute figures a little):

${componentTable(p.coldReceiver, p.coldBaseline, coldScale)}

The same by package (largest differences):

${componentTable(p.coldReceiver, p.coldBaseline, coldScale, 'packages')}

Top functions of the receiver's cold start:

${functionTable(p.coldReceiver, 1, 'ms/run')}

Most of a cold start is the platform, paid by the baseline too: V8 compiling the bundle
(\`compileSourceTextModule\`, which grows with the bundle's bytes: the receiver's is
${n(data.bundle.bytes / 1024, 0)} KB against the baseline's ${n(data.bundle.baselineBytes / 1024, 0)} KB), Node loading its own modules on first use
(\`compileForInternalLoader\`; importing \`node:http\` from an ES module also loads Node's bundled
undici, about ${n(p.coldBaseline.components.find((c) => c.name.includes('undici'))?.ms ?? 0, 0)} ms for either bundle), and the AWS SDK's module bodies and first
request. What only the receiver pays is the extra bytes to compile, Powertools, middy,
valibot and its own code: ${largestExtras(p.coldReceiver, p.coldBaseline, coldScale, 'packages', 6)}.`);

  sections.push(`## Warm invocations

| Bundle | Invocations/s | CPU per invocation (µs) |
|---|---|---|
| receiver | **${spread(data.warm.receiver?.map((w) => w.opsPerSec) ?? [], 0)}** | ${spread(data.warm.receiver?.map((w) => w.cpuUsPerInvocation) ?? [], 0)} |
| baseline | **${spread(data.warm.baseline?.map((w) => w.opsPerSec) ?? [], 0)}** | ${spread(data.warm.baseline?.map((w) => w.cpuUsPerInvocation) ?? [], 0)} |

The receiver writes ${x.logBytesPerMessage} bytes of log lines per stored message (counted in the leak check, at the
template's \`INFO\` level): the EMF metrics line. Stored messages are logged at \`DEBUG\`; duplicates and
failures at \`INFO\` and above.

### What the warm profile shows

Self time per invocation (${p.warmReceiver.invocations} receiver and ${p.warmBaseline.invocations} baseline invocations profiled):

${componentTable(p.warmReceiver, p.warmBaseline, warmScale)}

The same by package and Node module (largest differences):

${componentTable(p.warmReceiver, p.warmBaseline, warmScale, 'packages')}

Top functions of the receiver, warm:

${functionTable(p.warmReceiver, warmScale.ours, 'µs/invocation')}`);

  sections.push(`## End to end through \`npm start\`

| In flight | Receiver msg/s | p50 (ms) | p99 (ms) | Floor msg/s | Floor p99 (ms) | Ratio | Floor with the condition msg/s | Receiver / it |
|---|---|---|---|---|---|---|---|---|
${[twoLevel, manyLevel]
  .map((l) => {
    const key = l.concurrency === 2 ? 'e2e2' : 'e2e32';
    return `| ${l.concurrency} | **${spread(field(l.receiver, 'msgsPerSec'), 0)}** | ${n(median(field(l.receiver, 'p50Ms')), 2)} | ${n(median(field(l.receiver, 'p99Ms')), 2)} | ${spread(field(l.floor, 'msgsPerSec'), 0)} | ${n(median(field(l.floor, 'p99Ms')), 2)} | ${key === 'e2e2' ? results.e2e2Ratio : results.e2e32Ratio} | ${spread(field(l.conditionalFloor, 'msgsPerSec'), 0)} | ${key === 'e2e2' ? x.e2e2OverConditionalFloorRatio : x.e2e32OverConditionalFloorRatio} |`;
  })
  .join('\n')}

\`npm start\` came up in ${n(data.e2e.startupMs, 0)} ms. Where the receiver process spends its time at 2 in flight
(${p.e2eReceiver.invocations} messages profiled):

${table(
  ['component', 'µs/message', 'share'],
  p.e2eReceiver.components
    .slice(0, 10)
    .map((c) => [c.name, n((c.ms * 1000) / p.e2eReceiver.invocations, 0), `${n(c.percent, 1)}%`]),
)}

The floor's SDK client runs in the load generator's process, so the engine's process only serves
the write; the receiver's process also parses HTTP and runs the handler and its SDK client on its
main thread, while the engine has a worker thread of its own (\`local/engine-worker.ts\`). Each of
the receiver's puts carries \`attribute_not_exists(#id)\` (nothing is stored twice); dynalite
validates and parses that expression with a PEG parser on every put (${n(data.e2e.engineConditionUs, 0)} µs of CPU for the
parse alone, measured in this run), which the floor's unconditional put does not pay. Sent as a raw
put, the condition takes the floor to ${x.e2e2ConditionalFloorOverFloorRatio} of itself at 2 in flight and ${x.e2e32ConditionalFloorOverFloorRatio} at 32, per round; against
that floor, which does the engine work the receiver's put does, the receiver reaches
${x.e2e2OverConditionalFloorRatio} and ${x.e2e32OverConditionalFloorRatio}: what the HTTP layer, the handler and its SDK client in the receiver's process
cost. DynamoDB itself charges nothing extra for a condition. The legacy \`Expected\` parameter
would spare dynalite the parse, but AWS asks for \`ConditionExpression\` instead, and the engine's
speed is no reason to write the deployed function against that advice.`);

  sections.push(`## Leak check

${table(
  ['invocations after warm-up', 'RSS (MB)', 'heap used (MB)', 'heap total (MB)', 'external (MB)'],
  data.leak.checkpoints.map((c) => [
    c.invocations,
    n(c.rssMB, 1),
    n(c.heapUsedMB, 2),
    n(c.heapTotalMB, 1),
    n(c.externalMB, 2),
  ]),
)}

RSS grew by **${results.rssGrowthMB} MB** over the series
(${n((data.leak.rssGrowthMB * 2 ** 20) / Math.max(1, data.leak.checkpoints.at(-1)?.invocations ?? 1), 1)} B per invocation) and the live heap by ${n(data.leak.heapGrowthMB, 2)} MB. From the second
checkpoint on, RSS moved by ${n(data.leak.rssGrowthSettledMB, 2)} MB: a leak keeps growing from checkpoint to checkpoint, while
the process settling shows as one early step. "Flat" here means at most ${FLAT_RSS_MB} MB, about 50 B per
invocation.`);

  sections.push(`## On paper: Lambda memory size

Lambda gives CPU in proportion to memory (one vCPU at ${FULL_VCPU_MB} MB). Measured here: a warm
invocation takes **${n(derived.warmCpuMs * 1000, 0)} µs of CPU** and a cold start (INIT + first invocation)
**${n(derived.coldCpuMs, 0)} ms of CPU** on one core of this machine. Assuming a Lambda vCPU is as fast as that
core, and ${ASSUMED_DYNAMO_PUT_MS} ms for the in-region \`PutItem\`:

${table(
  [
    'memory',
    'vCPU share',
    'warm duration (ms)',
    'cold start (ms)',
    'Lambda $ per million',
    'INIT $ per cold start',
  ],
  derived.memory.map((m) => [
    `${m.memoryMB} MB${m.memoryMB === data.fn.memorySize ? ' (deployed)' : ''}`,
    `${n(m.vcpuShare * 100, 0)}%`,
    n(m.warmMs, 1),
    n(m.coldMs, 0),
    usd(m.lambdaUsdPerMillion),
    `$${m.initUsdPerColdStart.toFixed(7)}`,
  ]),
)}

**${data.fn.memorySize} MB is the choice.** Below it, the CPU-bound part of every request grows in proportion:
at 128 MB a warm answer takes about ${n(at(128)?.warmMs ?? 0, 0)} ms and a cold start about ${n(at(128)?.coldMs ?? 0, 0)} ms,
${(at(128)?.coldMs ?? 0) > data.fn.timeoutSeconds * 1000 ? "beyond the function's timeout, " : ''}while OpenIM's two workers wait on each answer. At ${data.fn.memorySize} MB the cold start is about
${n(chosen?.coldMs ?? 0, 0)} ms, well inside the ${data.fn.timeoutSeconds} s timeout and OpenIM's 5 s, and a warm answer about
${n(chosen?.warmMs ?? 0, 1)} ms, mostly the table write. Memory barely moves the bill: Lambda is
${usd(lambdaCost)} of the ${usd(totalCost)} per million messages at ${data.fn.memorySize} MB, against ${usd(dynamoCost)} for DynamoDB;
1024 MB would cut about ${n((chosen?.warmMs ?? 0) - (at(1024)?.warmMs ?? 0), 1)} ms per warm answer for
${usd((at(1024)?.lambdaUsdPerMillion ?? 0) - (chosen?.lambdaUsdPerMillion ?? 0))} more per million.`);

  sections.push(`## On paper: cost per million messages

${PRICES_CHECKED}; the stored item is ${data.model.itemBytes} bytes (as the receiver wrote it in the end-to-end run), and the table has ${data.model.indexCount} global secondary indexes that project all attributes.

${table(
  ['item', '$ per million messages', 'basis'],
  [
    ...derived.cost.map((c) => [c.item, usd(c.usdPerMillion), c.basis]),
    ['**total**', `**${usd(totalCost)}**`, ''],
  ],
)}

DynamoDB dominates: each new message is written ${x.writeUnitsPerMessage} times over (table plus indexes), so an item that
crosses 1 KB doubles that line. INIT has been billed for managed runtimes since August 2025; at
${data.fn.memorySize} MB one cold start costs about $${(chosen?.initUsdPerColdStart ?? 0).toFixed(7)}, so even if every message were a cold start
it would add only ${usd((chosen?.initUsdPerColdStart ?? 0) * 1e6)} per million. Not per message: storage
(${data.model.indexCount + 1} copies of each item: the table's and one per index), Secrets Manager ($0.40 per secret-month
and one \`GetSecretValue\` per warm environment per minute), the fallback queue (only on failures),
and custom metrics.`);

  sections.push(`## On paper: throughput and the first wall

OpenIM delivers after-callbacks through 2 workers, so one OpenIM instance sends at most 2 ÷ latency
messages per second. Locally (p50 ${x.e2e2P50Ms} ms at 2 in flight) that is **${x.openImMsgsPerSecPerInstanceLocal} msg/s per OpenIM instance**.
In AWS, with the estimated warm duration at ${data.fn.memorySize} MB plus about ${ASSUMED_API_GATEWAY_MS} ms for API Gateway and
${ASSUMED_NETWORK_RTT_MS} ms of network (OpenIM in the same region), the latency is about ${n(derived.awsLatencyMs, 0)} ms:
**about ${n(perInstanceAws, 0)} msg/s per OpenIM instance** (half that for each extra 20 ms of distance).

The sustained rate the default quotas allow, lowest first:

${table(
  ['limit', 'msg/s', 'note'],
  derived.walls.map((w) => [w.limit, n(w.msgsPerSec, 0), w.note]),
)}

**The first wall is the ${firstWall?.limit ?? ''}: ${n(firstWall?.msgsPerSec ?? 0, 0)} msg/s.** One OpenIM instance at
${n(perInstanceAws, 0)} msg/s ${perInstanceAws >= (firstWall?.msgsPerSec ?? 0) ? 'can already hit it' : `uses ${n((perInstanceAws / (firstWall?.msgsPerSec ?? 1)) * 100, 0)}% of it`}, and a message refused with 429 is lost, since OpenIM
does not retry. Raise \`throttlingRateLimit\` and \`throttlingBurstLimit\` to the expected peak of all
OpenIM instances together; the next walls (a hot conversation or user at about 1,000 msg/s, a new
table's 4,000 write units) are an order of magnitude higher, and the API Gateway account quota and
Lambda concurrency higher still.`);

  sections.push(`## Raw data

\`bench-results.json\` holds every figure above as a number, the targets with pass/fail and margin,
the machine, and the run plan. Run plan of this report: \`${JSON.stringify(data.plan)}\`.`);

  return `${sections.join('\n\n')}\n`;
}
