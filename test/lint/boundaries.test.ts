// The architecture's seams as ESLint enforces them (eslint.config.mjs, README "Layout"): each forbidden direction
// (a deep import of another part, the app or the audit module from the layer, the app from the alert processor,
// ...) is an error, static or dynamic; each allowed one (through the parts' entries, libraries, a part's own files)
// passes. Linted with the project's real configuration, as `npm run lint` does.
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function boundaryErrors(file: string, specifier: string, dynamic: boolean): Promise<string[]> {
  const code = dynamic
    ? `export const load = () => import('${specifier}');\n`
    : `import * as imported from '${specifier}';\n\nexport const used = imported;\n`;
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId)).map((m) => m.message);
}

type Case = [file: string, specifier: string];

const forbidden: Case[] = [
  // the app: only the entries of the layer and the audit module; never the alert processor
  ['src/server/example.ts', '../../otel/logger'],
  ['src/server/example.ts', '@otel/logger'],
  ['src/server/example.ts', '../../audit/log'],
  ['src/server/example.ts', '@audit/log'],
  ['src/server/example.ts', '../../alert-processor/index'],
  ['src/server/example.ts', '@alerts'],
  // the layer: libraries only
  ['otel/example.ts', '@/server/config'],
  ['otel/example.ts', '../src/server/config'],
  ['otel/example.ts', '@audit'],
  ['otel/example.ts', '../audit/log'],
  ['otel/example.ts', '@alerts'],
  ['otel/http/example.ts', '../../alert-processor/src/intake/otlp/decode'],
  // the audit module: the layer's entry, never the app or the alert processor
  ['audit/example.ts', '@/server/db'],
  ['audit/example.ts', '../src/server/db'],
  ['audit/example.ts', '../otel/logger'],
  ['audit/example.ts', '@otel/register'],
  ['audit/example.ts', '../alert-processor/index'],
  ['audit/example.ts', '@alerts'],
  // the alert processor: the layer's entry, never the app or the audit module
  ['alert-processor/src/example.ts', '@/server/db'],
  ['alert-processor/src/example.ts', '../../src/server/db'],
  ['alert-processor/src/example.ts', '@audit'],
  ['alert-processor/src/example.ts', '../../audit/log'],
  ['alert-processor/src/example.ts', '../../otel/logger'],
  ['alert-processor/src/example.ts', '@otel/logger'],
  ['alert-processor/index.ts', '../src/server/config'],
  // tests and benchmarks: the alert processor through @alerts
  ['test/helpers/example.ts', '../../alert-processor/src/intake/otlp/decode'],
  ['bench/example.ts', '../alert-processor/build'],
];

const allowed: Case[] = [
  ['src/server/example.ts', '@otel'],
  ['src/server/example.ts', '@otel/register'],
  ['src/app/example.ts', '@otel/browser'],
  ['src/server/example.ts', '@audit'],
  ['src/server/example.ts', './neighbour'],
  ['src/server/example.ts', 'kysely'],
  ['otel/example.ts', './logger'],
  ['otel/http/example.ts', '../logger'],
  ['otel/example.ts', '@opentelemetry/api'],
  ['audit/example.ts', '@otel'],
  ['audit/example.ts', './chain'],
  ['alert-processor/src/example.ts', '@otel'],
  ['alert-processor/src/cluster/example.ts', '../store/outbox'],
  ['alert-processor/index.ts', './src/intake/otlp/decode'],
  ['test/helpers/example.ts', '@alerts'],
  ['bench/example.ts', '@alerts'],
];

describe('import boundaries', () => {
  it.each(forbidden)('%s may not import %s', async (file, specifier) => {
    expect(await boundaryErrors(file, specifier, false)).not.toEqual([]);
  });

  it.each(forbidden)('%s may not import(%s) dynamically', async (file, specifier) => {
    expect(await boundaryErrors(file, specifier, true)).not.toEqual([]);
  });

  it.each(allowed)('%s may import %s', async (file, specifier) => {
    expect(await boundaryErrors(file, specifier, false)).toEqual([]);
    expect(await boundaryErrors(file, specifier, true)).toEqual([]);
  });
});
