/**
 * The few statistics the timing script needs, written out rather than pulled in as a
 * dependency: quantiles, the Mann-Whitney U test (two-sided, normal approximation with
 * the tie correction) and a bootstrap confidence interval for a difference of medians.
 * Latency samples are skewed and heavy-tailed, so nothing here assumes normality.
 */

export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Linear interpolation between closest ranks (the "R-7" definition, as numpy's default). */
export function quantile(ascending: readonly number[], q: number): number {
  if (ascending.length === 0) return Number.NaN;
  const position = (ascending.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return ascending[low]! + (ascending[high]! - ascending[low]!) * (position - low);
}

export interface MannWhitney {
  /** U of the first sample. */
  readonly u: number;
  readonly z: number;
  /** Two-sided p-value. */
  readonly p: number;
  /**
   * Probability that a random value of the first sample exceeds one of the second (ties
   * count half): 0.5 when neither tends to be larger. The "common-language effect size".
   */
  readonly probabilityGreater: number;
}

export function mannWhitney(first: readonly number[], second: readonly number[]): MannWhitney {
  const n1 = first.length;
  const n2 = second.length;
  const all = [...first.map((value) => ({ value, group: 0 })), ...second.map((value) => ({ value, group: 1 }))].sort((a, b) => a.value - b.value);
  let rankSumFirst = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.value === all[i]!.value) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based; ties share their average rank
    const ties = j - i + 1;
    tieTerm += ties ** 3 - ties;
    for (let k = i; k <= j; k++) if (all[k]!.group === 0) rankSumFirst += rank;
    i = j + 1;
  }
  const n = n1 + n2;
  const u = rankSumFirst - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = sd === 0 ? 0 : (u - mean - Math.sign(u - mean) * 0.5) / sd;
  return { u, z, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), probabilityGreater: u / (n1 * n2) };
}

/** Φ(x), via erf (Abramowitz and Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-((x / Math.SQRT2) ** 2));
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** 95% bootstrap percentile interval for median(first) − median(second). */
export function bootstrapMedianDifference(first: readonly number[], second: readonly number[], resamples = 1000): { low: number; high: number } {
  const differences: number[] = [];
  const a = new Float64Array(first.length);
  const b = new Float64Array(second.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < a.length; i++) a[i] = first[Math.floor(Math.random() * first.length)]!;
    for (let i = 0; i < b.length; i++) b[i] = second[Math.floor(Math.random() * second.length)]!;
    differences.push(median(a) - median(b));
  }
  const ordered = sorted(differences);
  return { low: quantile(ordered, 0.025), high: quantile(ordered, 0.975) };
}

function median(values: Float64Array): number {
  values.sort();
  return quantile(values as unknown as number[], 0.5);
}
