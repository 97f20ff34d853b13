/** Order statistics of a sample (nearest-rank percentiles: every figure is a measured value). */
export interface Summary {
  readonly count: number;
  readonly median: number;
  readonly p95: number;
  readonly mean: number;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    median: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

/** Milliseconds on a clock shared by every process of this machine (epoch, sub-ms precision). */
export function sharedNowMs(): number {
  return performance.timeOrigin + performance.now();
}
