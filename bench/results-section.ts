/**
 * The one generated section of `BENCHMARKS.md`: this run's figures in one table, between two markers.
 * Everything that interprets them is written by hand around it and never regenerated.
 */
import {
  coldField,
  FLAT_RECONCILE_HEAP_MB,
  FLAT_RSS_MB,
  level,
  type Measurements,
  type Results,
} from './results.ts';
import { median, spreadPercent } from './stats.ts';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

/** A number with a fixed count of decimals. */
function n(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/** `median (±x%)`: half the interquartile range, relative to the median. */
function spread(samples: readonly number[], digits = 1): string {
  return `${n(median(samples), digits)} (±${n(spreadPercent(samples) / 2, 0)}%)`;
}

/** Renders the generated section, markers included: the run's facts and one table. */
export function renderResults(m: Measurements, r: Results): string {
  const x = r.extra;
  const t = (name: keyof Results['targets'], target: string) => {
    const { pass, marginPercent } = r.targets[name];
    return `${target} | ${pass ? 'yes' : '**no**'} (${marginPercent >= 0 ? '+' : ''}${n(marginPercent)}%)`;
  };
  const cold = (name: string) => `${spread(coldField(m, name, 'coldStartMs'))} ms`;
  const warm = (name: string) => `${spread(m.warm[name]?.map((w) => w.opsPerSec) ?? [], 0)}/s`;
  const rate = (c: 2 | 32, kind: 'receiver' | 'floor' | 'conditionalFloor') => {
    const samples = level(m, c)[kind].map((w) => w.msgsPerSec);
    return `${spread(samples, 0)} msg/s`;
  };
  const e2e = (c: 2 | 32) =>
    `| \`npm start\`, ${c} in flight | ${rate(c, 'receiver')}, p50 ${x[`e2e${c}P50Ms`]} ms, p99 ${r[`e2e${c}P99Ms`]} ms | ${rate(c, 'floor')} | ${r[`e2e${c}Ratio`]} | ${t(`e2e${c}Ratio`, '≥ 0.7')} |
| … against a conditional put, ${c} in flight | | ${rate(c, 'conditionalFloor')} | ${x[`e2e${c}OverConditionalFloorRatio`]} | | |`;
  const plan = m.plan as { warm: { windowMs: number }; e2e: { windowMs: number } };
  const invocations = m.leak.checkpoints.at(-1)?.invocations ?? 0;
  const load = (l: readonly number[]) => l.map((v) => n(v, 2)).join(' / ');
  const dirty = m.source.uncommittedFiles;
  const largest = m.composition.slice(0, 5).map((c) => `${c.name} ${c.bytes} B`);
  return `${START}
<!-- Written by \`npm run bench\` (bench/results-section.ts); edits between the markers are lost. -->

## Results of the last run

\`${m.command}\` on ${m.startedAt.slice(0, 16).replace('T', ' ')} UTC took ${n(m.totalSeconds, 0)} s; code at commit \`${m.source.commit}\`${dirty ? ` plus ${dirty} uncommitted file(s) under \`lambda/\`, \`local/\`, \`infra/\`` : ''}.
Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${n(m.machine.memoryGB, 0)} GiB, ${m.machine.os}, Node.js ${m.machine.node};
load average (1/5/15 min) ${load(m.machine.loadBefore)} before, ${load(m.machine.loadAfter)} after.
Function as synthesized: ${m.fn.runtime}, ${m.fn.architectures.join(', ')}, ${m.fn.memorySize} MB, ${m.fn.timeoutSeconds} s timeout.
Samples: ${m.cold.receiver?.length} cold starts and ${m.warm.receiver?.length} warm windows of ${plan.warm.windowMs} ms per bundle,
${level(m, 2).receiver.length} end-to-end windows of ${plan.e2e.windowMs} ms per kind and concurrency, ${invocations} invocations in the leak check.
Figures are medians (± half the interquartile range, relative to the median); ratios are medians of
per-round ratios. Every figure is also in \`bench-results.json\`.

| Figure | Receiver | Baseline / floor | Ratio | Target | Met (margin) |
|---|---|---|---|---|---|
| Bundle (\`index.mjs\` as the CDK builds it${m.rebuildMatches ? ', rebuilt byte for byte' : ', **rebuilt differently**: update `bench/bundles.ts`'}) | ${r.bundleBytes} B | ${x.baselineBundleBytes} B | ${n(r.bundleBytes / m.bundles.baseline.bytes, 2)} | | |
| Cold start: INIT + first invocation | ${cold('receiver')} (INIT ${x.coldStartInitMs} ms) | ${cold('baseline')} | ${r.coldStartRatio} | ${t('coldStartRatio', '≤ 1.15')} |
| … the required libraries alone | ${cold('requiredStack')} | | ${x.coldStartOverRequiredStackRatio} | | |
| … with the SDK external | ${cold('sdkExternal')} | | ${x.coldStartSdkExternalOverBundledRatio} | | |
| … with \`--enable-source-maps\` | ${cold('sourceMaps')} | | ${x.coldStartSourceMapsOverReceiverRatio} | | |
| Warm invocations (storage stubbed) | ${warm('receiver')}, ${x.warmCpuMsPerInvocation} ms CPU each | ${warm('baseline')} | ${r.warmRatio} | ${t('warmRatio', '≥ 0.8')} |
| … against signing with the SDK's own SHA-256 | | ${warm('sdkSigning')}, ${n(x.warmSdkSigningCpuUsPerInvocation / 1000, 3)} ms CPU each | ${x.warmOverSdkSigningRatio} | | |
${e2e(2)}
${e2e(32)}
| RSS growth over ${invocations} warm invocations | ${r.rssGrowthMB} MB (${x.rssGrowthSettledMB} MB from the second checkpoint; heap ${x.heapGrowthMB} MB) | | | ${t('rssGrowthMB', `≤ ${FLAT_RSS_MB} MB`)} |
| Reconcile into empty tables, ${m.reconcile.small.messages} seqs (the fake OpenIM, local engine) | ${r.reconcileMsgsPerSec} msg/s | ${r.reconcileFloorMsgsPerSec} msg/s (the same items put raw) | ${r.reconcileRatio} | ${t('reconcileRatio', '≥ 0.5')} |
| Live heap while reconciling ${m.reconcile.large.messages} seqs, over ${m.reconcile.small.messages} | +${x.reconcileLargeHeapGrowthMB} MB (${x.reconcileLargeMsgsPerSec} msg/s), +${x.reconcileSmallHeapGrowthMB} MB | | | ${t('reconcileHeapGrowthOverSmallMB', `≤ ${FLAT_RECONCILE_HEAP_MB} MB more`)} |
| Log bytes per message; stored item bytes | ${x.logBytesPerMessage} B; ${x.storedItemBytes} B | | | | |
| Largest packages in the bundle | ${largest.join(', ')} | | | | |
${END}`;
}

/** `markdown` with its generated section replaced by `section`; throws if it has none. */
export function replaceResults(markdown: string, section: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`BENCHMARKS.md needs ${START} and ${END}`);
  return markdown.slice(0, start) + section + markdown.slice(end + END.length);
}
