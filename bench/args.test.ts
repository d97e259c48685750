import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchArgs } from './args';

const SPEC = {
  rounds: { type: 'number', default: 3, min: 1, description: 'measured rounds' },
  label: { type: 'string', default: 'x', description: 'a label' },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

class Exit extends Error {
  constructor(readonly code: number | undefined) {
    super(`exit ${code}`);
  }
}

/** Runs the parser, catching process.exit and what it wrote. */
function run(argv: string[]) {
  const written = { stdout: '', stderr: '' };
  vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
    throw new Exit(code === undefined || code === null ? undefined : Number(code));
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((written.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((written.stderr += String(chunk)), true));
  try {
    return { values: benchArgs('bench:test', SPEC, argv), exit: undefined, ...written };
  } catch (error) {
    if (error instanceof Exit) return { values: undefined, exit: error.code, ...written };
    throw error;
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('benchArgs', () => {
  it('takes the defaults and the given values', () => {
    expect(run([]).values).toEqual({ rounds: 3, label: 'x', json: false });
    expect(run(['--rounds', '5', '--label', 'y', '--json']).values).toEqual({ rounds: 5, label: 'y', json: true });
  });

  it('--help lists every option with its default, exit 0', () => {
    const result = run(['--help']);
    expect(result.exit).toBe(0);
    expect(result.stdout).toContain('npm run bench:test -- [options]');
    expect(result.stdout).toContain('--rounds <number>  measured rounds (default 3)');
    expect(result.stdout).toContain('--json  print JSON');
  });

  it.each([
    [['--bogus'], /bench:test: Unknown option '--bogus'.*--help lists the options/],
    [['--rounds', '0'], /bench:test: --rounds must be an integer of at least 1, got "0"/],
    [['--rounds', '2.5'], /bench:test: --rounds must be an integer of at least 1, got "2.5"/],
    [['--rounds', 'many'], /bench:test: --rounds must be an integer of at least 1, got "many"/],
  ])('%j is refused with exit 2 and one line, no stack', (argv, message) => {
    const result = run(argv);
    expect(result.exit).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
