/**
 * The arithmetic of bench:overhead's report, apart from the servers: within-round ratios, the pairs compared, the
 * issue's targets and their verdicts. Pure functions, unit-tested in test/bench/overhead-report.test.ts.
 */
import { parseServed, type VariantName } from './overhead-variants';

export interface EndpointResult {
  rps: number;
  p50: number;
  p99: number;
}
export interface RunResult {
  health: EndpointResult;
  transfer: EndpointResult;
  coldStartMs: number;
  rssMb: number;
}
/**
 * One round: every served server's absolute figures, taken in the same interleaved slices, by served name (the
 * variant's name, with `@<label>` for the --beside checkout's servers).
 */
export type Round = Map<string, RunResult>;

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** The per-round values, in round order. */
  rounds: number[];
}

export interface Ratios {
  health: { rps: Summary; p99: Summary };
  transfer: { rps: Summary; p99: Summary };
  coldStart: Summary;
  rss: Summary;
}

export const PEERS: VariantName[] = ['vercel-otel', 'node-sdk-auto'];
const AA: [VariantName, VariantName] = ['uninstrumented-aa', 'uninstrumented'];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const summary = (xs: number[]): Summary => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), rounds: [...xs] });

/** Within-round ratios of one variant to another: each round's figure of `of` over the same round's of `to`. */
export function ratios(rounds: Round[], of: string, to: string): Ratios {
  const r = (pick: (run: RunResult) => number) => summary(rounds.map((round) => pick(round.get(of)!) / pick(round.get(to)!)));
  return {
    health: { rps: r((x) => x.health.rps), p99: r((x) => x.health.p99) },
    transfer: { rps: r((x) => x.transfer.rps), p99: r((x) => x.transfer.p99) },
    coldStart: r((x) => x.coldStartMs),
    rss: r((x) => x.rssMb),
  };
}

/**
 * The pairs reported, as `[of, to]`: every variant against the baseline (the first served), then the full layer
 * directly against the floor and each peer, and the A/A pair when both of its servers are served — for this
 * checkout's servers, then the same for the --beside checkout's (`<variant>@<label>`), then each variant of the
 * --beside checkout against the same variant here (`full@node24/full`).
 */
export function comparedPairs(served: string[]): [string, string][] {
  const labels = [...new Set(served.map((name) => parseServed(name).label))];
  const pairs: [string, string][] = [];
  const has = (pair: [string, string]) => pairs.some(([a, b]) => a === pair[0] && b === pair[1]);
  for (const label of labels) {
    const at = (variant: string) => (label ? `${variant}@${label}` : variant);
    const group = served.filter((name) => parseServed(name).label === label).map((name) => parseServed(name).variant);
    const baseline = group[0]!;
    for (const v of group.slice(1)) pairs.push([at(v), at(baseline)]);
    if (group.includes('full')) {
      for (const other of group) {
        if (other === 'full' || other.startsWith('uninstrumented')) continue;
        if (!has([at('full'), at(other)])) pairs.push([at('full'), at(other)]);
      }
    }
    if (group.includes(AA[0]) && group.includes(AA[1]) && !has([at(AA[0]), at(AA[1])])) pairs.push([at(AA[0]), at(AA[1])]);
  }
  for (const name of served) {
    const { variant, label } = parseServed(name);
    if (label && served.includes(variant)) pairs.push([name, variant]);
  }
  return pairs;
}

export type Verdict = 'met' | 'missed' | 'inconclusive';

/**
 * The smallest number of rounds out of n that must fall on one side for a one-sided sign test at 5 %: P(X ≥ k) ≤
 * 0.05 for X ~ Binomial(n, ½). n + 1 (unreachable) when n is too small for any count to be significant (n ≤ 4).
 */
export function signCountNeeded(n: number): number {
  let tail = 0;
  for (let k = n; k >= 0; k--) {
    tail += binomial(n, k) / 2 ** n;
    if (tail > 0.05) return k + 1;
  }
  return 0;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - i + 1)) / i;
  return c;
}

export interface TargetCheck {
  name: string;
  /** The within-round ratio the target reads, `of/to` (e.g. full/floor). */
  pair: string;
  metric: 'req/s' | 'p99';
  endpoint: 'health' | 'transfer';
  /** The ratio must be above (`>` / `>=`) or below (`<` / `<=`) the threshold. */
  comparison: '>' | '>=' | '<' | '<=';
  threshold: number;
  value: Summary;
  /** Rounds whose ratio was on the right side of the threshold. */
  rightSide: number;
  rounds: number;
  /** The A/A pair's ratio of the same metric, when served: the noise floor. */
  aa: Summary | undefined;
  verdict: Verdict;
}

/**
 * The verdict rule, on the direct within-round ratios r₁…rₙ of a target against its threshold T:
 * - **met** when the median is on the right side of T by more than the A/A noise and at least signCountNeeded(n)
 *   rounds are on the right side; the A/A noise is the larger of the A/A ratios' half-spread ((max − min) / 2) and
 *   their median's distance from 1, of the same metric;
 * - **missed** when the median is on the wrong side by more than the A/A noise and at least signCountNeeded(n)
 *   rounds are on the wrong side;
 * - **inconclusive** otherwise: the A/A spread or the sign count cannot separate the ratio from its threshold —
 *   always so without an A/A pair, and with fewer than 5 rounds.
 */
/** How far two identical servers' ratio strays: the larger of its half-spread and its median's distance from 1. */
export const aaNoise = (aa: Summary) => Math.max((aa.max - aa.min) / 2, Math.abs(aa.median - 1));

export function verdict(value: Summary, comparison: TargetCheck['comparison'], threshold: number, aa: Summary | undefined) {
  const right = (x: number) =>
    comparison === '>' ? x > threshold : comparison === '>=' ? x >= threshold : comparison === '<' ? x < threshold : x <= threshold;
  const rightSide = value.rounds.filter(right).length;
  const n = value.rounds.length;
  const needed = signCountNeeded(n);
  let result: Verdict = 'inconclusive';
  if (aa) {
    const clear = Math.abs(value.median - threshold) > aaNoise(aa);
    if (clear && right(value.median) && rightSide >= needed) result = 'met';
    else if (clear && !right(value.median) && n - rightSide >= needed) result = 'missed';
  }
  return { rightSide, rounds: n, verdict: result };
}

/**
 * The targets, where the run served the variants they compare, each read on the direct within-round ratio: the
 * full layer ahead of each peer on both endpoints — more req/s (full/peer above 1) and a shorter tail (p99
 * full/peer below 1) — for this checkout's servers and, in their own rounds, the --beside checkout's, each against
 * the A/A pair of its own checkout.
 */
export function targets(report: Map<string, Ratios>): TargetCheck[] {
  const out: TargetCheck[] = [];
  const labels = ['', ...new Set([...report.keys()].flatMap((pair) => pair.split('/').map((name) => parseServed(name).label)))].filter(
    (label, i, all) => all.indexOf(label) === i,
  );
  for (const label of labels) {
    const at = (variant: string) => (label ? `${variant}@${label}` : variant);
    const aaRatios = report.get(`${at(AA[0])}/${at(AA[1])}`);
    const check = (
      pair: string,
      endpoint: TargetCheck['endpoint'],
      metric: TargetCheck['metric'],
      comparison: TargetCheck['comparison'],
    ) => {
      const ratiosOfPair = report.get(pair);
      if (!ratiosOfPair) return;
      const key = metric === 'req/s' ? 'rps' : 'p99';
      const value = ratiosOfPair[endpoint][key];
      const aa = aaRatios?.[endpoint][key];
      out.push({
        name: `${endpoint} ${pair} ${metric} ${comparison} 1.00`,
        pair,
        metric,
        endpoint,
        comparison,
        threshold: 1,
        value,
        aa,
        ...verdict(value, comparison, 1, aa),
      });
    };
    for (const endpoint of ['health', 'transfer'] as const) {
      for (const peer of PEERS) {
        check(`${at('full')}/${at(peer)}`, endpoint, 'req/s', '>');
        check(`${at('full')}/${at(peer)}`, endpoint, 'p99', '<');
      }
    }
  }
  return out;
}

const fmt = (x: number) => x.toFixed(2);
export const formatSummary = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

/** One line of the report per target: median (min–max), the sign count, the A/A beside, the verdict. */
export function formatTarget(t: TargetCheck): string {
  return (
    `${t.name.padEnd(40)} ${formatSummary(t.value).padEnd(18)} right side in ${t.rightSide}/${t.rounds} rounds  ` +
    `A/A ${t.aa ? formatSummary(t.aa) : '(not served)'}  ${t.verdict}`
  );
}
