import { parseArgs } from 'node:util';

type Spec =
  | { type: 'number'; default: number; min?: number; description: string }
  | { type: 'string'; default: string; description: string }
  | { type: 'boolean'; description: string };

type Values<S extends Record<string, Spec>> = {
  [K in keyof S]: S[K] extends { type: 'number' } ? number : S[K] extends { type: 'string' } ? string : boolean;
};

function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/**
 * The one argument parser of the benchmarks: node:util parseArgs plus numbers checked (integers, at least `min`), an unknown flag or a bad
 * value refused with a message naming it (exit 2, no stack), and `--help` listing every option with its default.
 */
export function benchArgs<S extends Record<string, Spec>>(name: string, spec: S, argv = process.argv.slice(2)): Values<S> {
  const options = Object.fromEntries(
    Object.entries(spec).map(([key, s]) => [key, s.type === 'boolean' ? { type: 'boolean' as const } : { type: 'string' as const }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, allowPositionals: false });
  } catch (error) {
    refuse(`${name}: ${(error as Error).message} (--help lists the options)`);
  }
  if (parsed.values.help) {
    const lines = Object.entries(spec).map(
      ([key, s]) =>
        `  --${key}${s.type === 'boolean' ? '' : ` <${s.type}>`}  ${s.description}${'default' in s && s.default !== '' ? ` (default ${s.default})` : ''}`,
    );
    process.stdout.write(`npm run ${name} -- [options]\n${lines.join('\n')}\n`);
    process.exit(0);
  }
  const values: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const raw = parsed.values[key];
    if (s.type === 'boolean') values[key] = raw === true;
    else if (s.type === 'string') values[key] = typeof raw === 'string' ? raw : s.default;
    else {
      const value = typeof raw === 'string' ? Number(raw) : s.default;
      // Every numeric flag is a count or whole seconds.
      if (!Number.isInteger(value) || value < (s.min ?? 0)) {
        refuse(`${name}: --${key} must be an integer of at least ${s.min ?? 0}, got "${String(raw)}"`);
      }
      values[key] = value;
    }
  }
  return values as Values<S>;
}

/**
 * Whether an option was given, in any of its spellings (`--name value`, `--name=value`), before the rest of the
 * arguments are parsed by the spec it selects (bench:audit hands `--writers` runs to another parser).
 */
export function hasOption(name: string, argv = process.argv.slice(2)): boolean {
  const { values } = parseArgs({ args: argv, options: { [name]: { type: 'string' } }, strict: false, allowPositionals: true });
  return values[name] !== undefined;
}
