/** Summary statistics for the benches' latency samples (milliseconds), rounded to 0.01. */
export interface LatencySummary {
  n: number;
  median: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;

export function latencySummary(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    n: sorted.length,
    median: round2(at(0.5)),
    p95: round2(at(0.95)),
    p99: round2(at(0.99)),
    mean: round2(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
    max: round2(sorted[sorted.length - 1] ?? Number.NaN),
  };
}
