/** Small, dependency-free statistics for benchmark samples. */

/** The value below which `p` (0 to 100) percent of the samples fall, by linear interpolation. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - Math.floor(rank));
}

/** The median of the samples. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Interquartile range relative to the median, in percent: how much the runs disagree. */
export function spreadPercent(samples: readonly number[]): number {
  const mid = median(samples);
  return mid === 0 ? 0 : ((percentile(samples, 75) - percentile(samples, 25)) / mid) * 100;
}

/** Rounds to `digits` decimals, for figures that are noisy beyond that. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The median of the paired ratios `a[i] / b[i]`, each pair taken side by side in one round. */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  // Drift of the shared machine between rounds cancels; in a ratio of two medians it would not.
  return median(a.map((x, i) => x / (b[i] as number)));
}
