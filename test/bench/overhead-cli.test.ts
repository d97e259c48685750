import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseVariants, parseBeside, parseLever, parseServed, UsageError } from '../../bench/overhead-variants';

const root = path.resolve(import.meta.dirname, '../..');
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bench/overhead.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('bench:overhead command line', () => {
  it('--lever takes KEY=VALUE pairs and refuses a pair without "="', () => {
    expect(parseLever('')).toEqual({});
    expect(parseLever('DB_STATEMENT_SPANS=all,OTEL_BSP_SCHEDULE_DELAY=200')).toEqual({
      DB_STATEMENT_SPANS: 'all',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    expect(parseLever('A=b=c')).toEqual({ A: 'b=c' });
    expect(() => parseLever('FOO')).toThrow(UsageError);
    expect(() => parseLever('=x')).toThrow(/"=x" is not KEY=VALUE/);
  });

  it('--variants refuses an unknown or repeated name', () => {
    const only = (text: string) => chooseVariants({ sentry: false, aa: false, lever: false, only: text });
    expect(only('full, floor')).toEqual(['full', 'floor']);
    expect(() => only('full,bogus')).toThrow(/unknown "bogus"/);
    expect(() => only('full,full')).toThrow(/twice/);
  });

  it('--beside takes LABEL=DIR[:NODE]; served names carry the label', () => {
    expect(parseBeside('', '/usr/bin/node')).toBeUndefined();
    expect(parseBeside('node24=/work/b24:/opt/node24/bin/node', '/usr/bin/node')).toEqual({
      label: 'node24',
      root: '/work/b24',
      node: '/opt/node24/bin/node',
    });
    expect(parseBeside('before=../old', '/usr/bin/node')).toEqual({ label: 'before', root: path.resolve('../old'), node: '/usr/bin/node' });
    expect(() => parseBeside('/work/b24', '/usr/bin/node')).toThrow(UsageError);
    expect(() => parseBeside('no spaces=/x', '/usr/bin/node')).toThrow(/LABEL=DIR\[:NODE\]/);
    expect(parseServed('full@node24')).toEqual({ variant: 'full', label: 'node24' });
    expect(parseServed('vercel-otel')).toEqual({ variant: 'vercel-otel', label: '' });
  });

  it('exits 2 with a message and no stack on a bad --variants, --lever or --beside', () => {
    for (const args of [
      ['--variants', 'full,bogus'],
      ['--lever', 'FOO'],
      ['--beside', 'nolabel'],
    ]) {
      const result = bench(...args);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^bench:overhead: --(variants|lever|beside): .+ \(--help lists the options\)\n$/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--help says which flags replace the set of variants', () => {
    const result = bench('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--aa +serve only the A\/A pair/);
    expect(result.stdout).toMatch(/--sentry +serve only full and sentry/);
    expect(result.stdout).not.toMatch(/add (an|the) /);
  });
});
