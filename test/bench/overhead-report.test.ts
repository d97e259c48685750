import { describe, expect, it } from 'vitest';
import {
  aaNoise,
  comparedPairs,
  formatTarget,
  ratios,
  signCountNeeded,
  summary,
  targets,
  verdict,
  type Round,
  type RunResult,
} from '../../bench/overhead-report';
import type { VariantName } from '../../bench/overhead-variants';

const run = (healthRps: number, transferRps: number, p99 = 10): RunResult => ({
  health: { rps: healthRps, p50: 1, p99 },
  transfer: { rps: transferRps, p50: 1, p99 },
  coldStartMs: 1000,
  rssMb: 100,
});
const round = (entries: [string, RunResult][]): Round => new Map(entries);

describe('bench:overhead report', () => {
  it('summary: median, min, max and the per-round values', () => {
    expect(summary([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, rounds: [3, 1, 2] });
    expect(summary([4, 1, 2, 3]).median).toBe(2.5);
  });

  it('ratios are taken within each round, not between medians', () => {
    // full beats vercel-otel in both rounds, although in the first its ratio to uninstrumented is the lower one.
    const rounds = [
      round([
        ['uninstrumented', run(100, 100)],
        ['full', run(60, 60)],
        ['vercel-otel', run(50, 50)],
      ]),
      round([
        ['uninstrumented', run(100, 100)],
        ['full', run(90, 90)],
        ['vercel-otel', run(80, 80)],
      ]),
    ];
    const direct = ratios(rounds, 'full', 'vercel-otel');
    expect(direct.health.rps.rounds).toEqual([60 / 50, 90 / 80]);
    expect(direct.health.rps.median).toBeCloseTo((1.2 + 1.125) / 2);
  });

  it('pairs: each variant against the baseline, full against the floor and each peer, and the A/A pair', () => {
    expect(comparedPairs(['uninstrumented', 'full', 'floor', 'vercel-otel', 'node-sdk-auto', 'uninstrumented-aa'])).toEqual([
      ['full', 'uninstrumented'],
      ['floor', 'uninstrumented'],
      ['vercel-otel', 'uninstrumented'],
      ['node-sdk-auto', 'uninstrumented'],
      ['uninstrumented-aa', 'uninstrumented'],
      ['full', 'floor'],
      ['full', 'vercel-otel'],
      ['full', 'node-sdk-auto'],
    ]);
    // full as the baseline: no pair twice.
    expect(comparedPairs(['full', 'floor'])).toEqual([
      ['floor', 'full'],
      ['full', 'floor'],
    ]);
    expect(comparedPairs(['full', 'sentry'])).toEqual([
      ['sentry', 'full'],
      ['full', 'sentry'],
    ]);
  });

  it('sign test: 5 of 5, 7 of 7, 8 of 9, 12 of 15; never with 4 rounds or fewer', () => {
    expect(signCountNeeded(4)).toBe(5);
    expect(signCountNeeded(5)).toBe(5);
    expect(signCountNeeded(7)).toBe(7);
    expect(signCountNeeded(9)).toBe(8);
    expect(signCountNeeded(15)).toBe(12);
  });

  it('verdict: met, missed or inconclusive by the A/A half-spread and the sign count', () => {
    const aa = summary([0.95, 1, 1.05]); // half-spread 0.05
    expect(verdict(summary([1.2, 1.3, 1.1, 1.25, 1.15]), '>', 1, aa)).toEqual({ rightSide: 5, rounds: 5, verdict: 'met' });
    expect(verdict(summary([0.8, 0.7, 0.9, 0.85, 0.75]), '>', 1, aa)).toEqual({ rightSide: 0, rounds: 5, verdict: 'missed' });
    // The median is clear of the threshold but one round is on the other side: 4 of 5 is no sign.
    expect(verdict(summary([1.2, 1.3, 0.9, 1.25, 1.15]), '>', 1, aa).verdict).toBe('inconclusive');
    // Every round on the right side, but by less than the A/A pair's own spread.
    expect(verdict(summary([1.02, 1.03, 1.01, 1.04, 1.02]), '>', 1, aa).verdict).toBe('inconclusive');
    // The A/A pair itself off by 0.3: a ratio 0.2 above the threshold is within the noise.
    expect(verdict(summary([1.2, 1.3, 1.1, 1.25, 1.15]), '>', 1, summary([1.3, 1.3, 1.3]))).toMatchObject({ verdict: 'inconclusive' });
    expect(aaNoise(summary([0.8, 1.3, 1.3]))).toBeCloseTo(0.3);
    expect(aaNoise(summary([0.9, 1, 1.3]))).toBeCloseTo(0.2);
    // Without an A/A pair nothing can be called.
    expect(verdict(summary([1.2, 1.3, 1.1, 1.25, 1.15]), '>', 1, undefined).verdict).toBe('inconclusive');
    // p99 at most 1.10: lower is the right side.
    expect(verdict(summary([0.9, 0.95, 1, 0.9, 0.92]), '<=', 1.1, aa).verdict).toBe('met');
    expect(verdict(summary([0.94, 0.95, 0.96, 0.97, 0.95]), '>=', 0.95, aa).verdict).toBe('inconclusive');
  });

  it('pairs with a --beside checkout: its own set, then each of its servers against the same variant here', () => {
    expect(
      comparedPairs([
        'uninstrumented',
        'full',
        'vercel-otel',
        'uninstrumented-aa',
        'uninstrumented@n24',
        'full@n24',
        'vercel-otel@n24',
        'uninstrumented-aa@n24',
      ]),
    ).toEqual([
      ['full', 'uninstrumented'],
      ['vercel-otel', 'uninstrumented'],
      ['uninstrumented-aa', 'uninstrumented'],
      ['full', 'vercel-otel'],
      ['full@n24', 'uninstrumented@n24'],
      ['vercel-otel@n24', 'uninstrumented@n24'],
      ['uninstrumented-aa@n24', 'uninstrumented@n24'],
      ['full@n24', 'vercel-otel@n24'],
      ['uninstrumented@n24', 'uninstrumented'],
      ['full@n24', 'full'],
      ['vercel-otel@n24', 'vercel-otel'],
      ['uninstrumented-aa@n24', 'uninstrumented-aa'],
    ]);
  });

  it('targets read the direct within-round ratios: full ahead of each peer, req/s above 1 and p99 below 1', () => {
    const served: VariantName[] = ['uninstrumented', 'full', 'floor', 'vercel-otel', 'node-sdk-auto', 'uninstrumented-aa'];
    const rounds = Array.from({ length: 7 }, (_, i) =>
      round([
        ['uninstrumented', run(100, 100, 10)],
        ['full', run(80 + i, 70, 10.5)],
        ['floor', run(82 + i, 72, 10)],
        ['vercel-otel', run(70, 75, 12)],
        ['node-sdk-auto', run(60, 65, 12)],
        ['uninstrumented-aa', run(100 + (i % 2 ? 2 : -2), 100, 10)],
      ]),
    );
    const report = new Map(comparedPairs(served).map(([of, to]) => [`${of}/${to}`, ratios(rounds, of, to)]));
    const checked = targets(report);
    const byName = Object.fromEntries(checked.map((t) => [t.name, t]));
    expect(Object.keys(byName)).toEqual([
      'health full/vercel-otel req/s > 1.00',
      'health full/vercel-otel p99 < 1.00',
      'health full/node-sdk-auto req/s > 1.00',
      'health full/node-sdk-auto p99 < 1.00',
      'transfer full/vercel-otel req/s > 1.00',
      'transfer full/vercel-otel p99 < 1.00',
      'transfer full/node-sdk-auto req/s > 1.00',
      'transfer full/node-sdk-auto p99 < 1.00',
    ]);
    expect(byName['health full/vercel-otel req/s > 1.00']).toMatchObject({ rightSide: 7, rounds: 7, verdict: 'met' });
    expect(byName['transfer full/vercel-otel req/s > 1.00']).toMatchObject({ rightSide: 0, verdict: 'missed' });
    // p99 10.5 against 12 in every round: 0.875, below 1 by more than the A/A noise (no spread on p99 here).
    expect(byName['health full/vercel-otel p99 < 1.00']).toMatchObject({ rightSide: 7, verdict: 'met' });
    expect(byName['health full/vercel-otel p99 < 1.00']!.value.median).toBeCloseTo(0.875);
    expect(byName['health full/vercel-otel req/s > 1.00']!.aa!.rounds).toHaveLength(7);
    expect(formatTarget(byName['transfer full/vercel-otel req/s > 1.00']!)).toMatch(
      /^transfer full\/vercel-otel req\/s > 1\.00 +0\.93 \(0\.93–0\.93\) +right side in 0\/7 rounds {2}A\/A 1\.00 \(1\.00–1\.00\) {2}missed$/,
    );
  });

  it('targets of a --beside checkout are read against its own A/A pair', () => {
    const rounds = Array.from({ length: 5 }, () =>
      round([
        ['full', run(90, 90, 10)],
        ['vercel-otel', run(80, 80, 12)],
        ['uninstrumented', run(100, 100, 10)],
        ['uninstrumented-aa', run(100, 100, 10)],
        ['full@n24', run(100, 100, 9)],
        ['vercel-otel@n24', run(100, 100, 9)],
        ['uninstrumented@n24', run(110, 110, 9)],
        ['uninstrumented-aa@n24', run(110, 110, 9)],
      ]),
    );
    const served = ['uninstrumented', 'full', 'vercel-otel', 'uninstrumented-aa'];
    const all = [...served, ...served.map((v) => `${v}@n24`)];
    const report = new Map(comparedPairs(all).map(([of, to]) => [`${of}/${to}`, ratios(rounds, of, to)]));
    const byName = Object.fromEntries(targets(report).map((t) => [t.name, t]));
    expect(byName['health full/vercel-otel req/s > 1.00']!.verdict).toBe('met');
    // A tie on Node 24: neither met nor missed.
    expect(byName['health full@n24/vercel-otel@n24 req/s > 1.00']).toMatchObject({ verdict: 'inconclusive', rightSide: 0 });
    expect(byName['health full@n24/vercel-otel@n24 p99 < 1.00']!.aa!.median).toBe(1);
  });

  it('targets without an A/A pair are inconclusive, and absent without the variants they compare', () => {
    const rounds = Array.from({ length: 7 }, () =>
      round([
        ['full', run(90, 90)],
        ['vercel-otel', run(80, 80)],
        ['floor', run(80, 80)],
      ]),
    );
    const report = new Map([
      ['full/vercel-otel', ratios(rounds, 'full', 'vercel-otel')],
      ['full/floor', ratios(rounds, 'full', 'floor')],
    ]);
    const checked = targets(report);
    expect(checked.map((t) => t.name)).toEqual([
      'health full/vercel-otel req/s > 1.00',
      'health full/vercel-otel p99 < 1.00',
      'transfer full/vercel-otel req/s > 1.00',
      'transfer full/vercel-otel p99 < 1.00',
    ]);
    expect(checked.every((t) => t.verdict === 'inconclusive' && t.aa === undefined)).toBe(true);
  });
});
