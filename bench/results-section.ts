/**
 * The one generated section of `BENCHMARKS.md`: this run's figures in tables, between two markers.
 * Everything that interprets them is written by hand around it and never regenerated.
 */
import { coldField, FLAT_RSS_MB, level, type Measurements, type Results } from './results.ts';
import { median, spreadPercent } from './stats.ts';

type Kind = 'receiver' | 'floor' | 'conditionalFloor';
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

/** Renders the generated section, markers included. */
export function renderResults(m: Measurements, r: Results): string {
  const x = r.extra;
  const t = (name: keyof Results['targets']) => {
    const { pass, marginPercent } = r.targets[name];
    return `${pass ? 'yes' : '**no**'} (${marginPercent >= 0 ? '+' : ''}${n(marginPercent)}%)`;
  };
  const cold = (name: string, bytes: number) =>
    [bytes, ...(['initMs', 'firstInvokeMs', 'coldStartMs', 'cpuMs', 'wallMs'] as const)]
      .map((f) => (typeof f === 'number' ? f : spread(coldField(m, name, f))))
      .join(' | ');
  const warm = (name: string, key: 'opsPerSec' | 'cpuUsPerInvocation') =>
    spread(m.warm[name]?.map((w) => w[key]) ?? [], 0);
  const e2e = (c: 2 | 32) => {
    const l = level(m, c);
    const of = (kind: Kind, key: 'msgsPerSec' | 'p50Ms' | 'p99Ms') => l[kind].map((w) => w[key]);
    const rate = (kind: Kind) => spread(of(kind, 'msgsPerSec'), 0);
    const ms = (kind: Kind, key: 'p50Ms' | 'p99Ms') => n(median(of(kind, key)), 2);
    return `| ${c} | ${rate('receiver')} | ${ms('receiver', 'p50Ms')} | ${ms('receiver', 'p99Ms')} | ${rate('floor')} | ${ms('floor', 'p99Ms')} | ${r[`e2e${c}Ratio`]} | ${rate('conditionalFloor')} | ${x[`e2e${c}ConditionalFloorOverFloorRatio`]} | ${x[`e2e${c}OverConditionalFloorRatio`]} |`;
  };
  const plan = m.plan as { warm: { windowMs: number }; e2e: { windowMs: number } };
  const invocations = m.leak.checkpoints.at(-1)?.invocations ?? 0;
  const load = (l: readonly number[]) => l.map((v) => n(v, 2)).join(' / ');
  const dirty = m.source.uncommittedFiles;
  return `${START}
<!-- Written by \`npm run bench\` (bench/results-section.ts); edits between the markers are lost. -->

## Results of the last run

\`${m.command}\` on ${m.startedAt.slice(0, 16).replace('T', ' ')} UTC took ${n(m.totalSeconds, 0)} s; code at commit \`${m.source.commit}\`${dirty ? ` plus ${dirty} uncommitted file(s) under \`lambda/\`, \`local/\`, \`infra/\`` : ''}.
Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${n(m.machine.memoryGB, 0)} GiB, ${m.machine.os}, Node.js ${m.machine.node};
load average (1/5/15 min) ${load(m.machine.loadBefore)} before, ${load(m.machine.loadAfter)} after.
Function as synthesized: ${m.fn.runtime}, ${m.fn.architectures.join(', ')}, ${m.fn.memorySize} MB, ${m.fn.timeoutSeconds} s timeout.
Samples: ${m.cold.receiver?.length} cold starts and ${m.warm.receiver?.length} warm windows of ${plan.warm.windowMs} ms per bundle,
${level(m, 2).receiver.length} end-to-end windows of ${plan.e2e.windowMs} ms per kind and concurrency, ${invocations} invocations in the leak check.

| Figure | Receiver | Baseline / floor | Ratio | Target | Met (margin) |
|---|---|---|---|---|---|
| Bundle (\`index.mjs\` as the CDK builds it) | ${r.bundleBytes} B | ${x.baselineBundleBytes} B | ${n(r.bundleBytes / m.bundles.baseline.bytes, 2)} | | |
| Cold start: INIT + first invocation | ${r.coldStartMs} ms | ${r.coldStartBaselineMs} ms | ${r.coldStartRatio} | ≤ 1.15 | ${t('coldStartRatio')} |
| Warm invocations (storage stubbed) | ${r.warmOpsPerSec}/s | ${r.warmBaselineOpsPerSec}/s | ${r.warmRatio} | ≥ 0.8 | ${t('warmRatio')} |
| \`npm start\`, 2 in flight | ${r.e2e2MsgsPerSec} msg/s, p99 ${r.e2e2P99Ms} ms | ${r.e2e2FloorMsgsPerSec} msg/s | ${r.e2e2Ratio} | ≥ 0.7 | ${t('e2e2Ratio')} |
| \`npm start\`, 32 in flight | ${r.e2e32MsgsPerSec} msg/s, p99 ${r.e2e32P99Ms} ms | ${r.e2e32FloorMsgsPerSec} msg/s | ${r.e2e32Ratio} | ≥ 0.7 | ${t('e2e32Ratio')} |
| RSS growth over ${invocations} warm invocations | ${r.rssGrowthMB} MB | | | ≤ ${FLAT_RSS_MB} MB | ${t('rssGrowthMB')} |

### Cold start

Medians (± half the interquartile range, relative to the median); ratios are medians of per-round ratios.

| Bundle | Bytes | INIT (ms) | First invocation (ms) | INIT + first (ms) | CPU (ms) | Process wall (ms) | Ratio |
|---|---|---|---|---|---|---|---|
| receiver (SDK bundled, as deployed) | ${cold('receiver', m.bundles.receiver.bytes)} | ${r.coldStartRatio} × baseline |
| baseline | ${cold('baseline', m.bundles.baseline.bytes)} | |
| required stack alone | ${cold('requiredStack', m.bundles.requiredStack.bytes)} | ${x.coldStartRequiredStackRatio} × baseline; receiver ${x.coldStartOverRequiredStackRatio} × it |
| receiver, SDK external | ${cold('sdkExternal', m.bundles.sdkExternal.bytes)} | ${x.coldStartSdkExternalOverBundledRatio} × receiver |
| receiver with \`--enable-source-maps\` | ${cold('sourceMaps', m.bundles.receiver.bytes)} | ${x.coldStartSourceMapsOverReceiverRatio} × receiver |

### Warm invocations

| Bundle | Invocations/s | CPU per invocation (µs) |
|---|---|---|
| receiver | ${warm('receiver', 'opsPerSec')} | ${warm('receiver', 'cpuUsPerInvocation')} |
| baseline | ${warm('baseline', 'opsPerSec')} | ${warm('baseline', 'cpuUsPerInvocation')} |

Log lines the receiver wrote per invocation, at the template's log level: ${x.logBytesPerMessage} bytes.

### End to end through \`npm start\`

| In flight | Receiver msg/s | p50 (ms) | p99 (ms) | Floor msg/s | Floor p99 (ms) | Receiver / floor | Conditional floor msg/s | Conditional / floor | Receiver / conditional |
|---|---|---|---|---|---|---|---|---|---|
${e2e(2)}
${e2e(32)}

\`npm start\` came up in ${x.npmStartStartupMs} ms. dynalite's validation of the receiver's condition took
${x.e2eEngineConditionCpuUs} µs of CPU per put. The record the receiver stored is ${x.storedItemBytes} bytes by DynamoDB's rules.

### Memory over ${invocations} warm invocations

| Invocations after warm-up | RSS (MB) | Heap used (MB) | Heap total (MB) | External (MB) |
|---|---|---|---|---|
${m.leak.checkpoints.map((c) => `| ${c.invocations} | ${n(c.rssMB)} | ${n(c.heapUsedMB, 2)} | ${n(c.heapTotalMB)} | ${n(c.externalMB, 2)} |`).join('\n')}

RSS grew by ${r.rssGrowthMB} MB over the series and by ${x.rssGrowthSettledMB} MB from the second checkpoint on; the live heap by ${x.heapGrowthMB} MB.

### Bundle composition

Bytes of minified output by package. Rebuilt with the CDK's esbuild options, the receiver came out
${m.rebuildMatches ? 'byte for byte the same as the CDK’s bundle' : '**different** from the CDK’s bundle (update `bench/bundles.ts`)'}.

| Package | Bytes | Share |
|---|---|---|
${m.composition
  .slice(0, 14)
  .map((c) => `| ${c.name} | ${c.bytes} | ${n((c.bytes / m.bundles.receiver.bytes) * 100)}% |`)
  .join('\n')}
${END}`;
}

/** `markdown` with its generated section replaced by `section`; throws if it has none. */
export function replaceResults(markdown: string, section: string): string {
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start < 0 || end < start) throw new Error(`BENCHMARKS.md needs ${START} and ${END}`);
  return markdown.slice(0, start) + section + markdown.slice(end + END.length);
}
