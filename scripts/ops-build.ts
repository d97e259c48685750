/**
 * npm run ops:build — bundles the operator commands into scripts/dist/*.mjs with esbuild, so that they run in the
 * image with plain node (it has no tsx, no TypeScript sources of the app):
 *   admin.mjs, db-migrate.mjs, audit-verify.mjs, audit-erase.mjs, audit-public-key.mjs, and for the backup scheduler
 *   database-ready.mjs and backup-event.mjs,
 * and verify-worker.mjs beside them (audit-verify's SQLite worker threads, loaded from the bundle's own folder).
 * Native modules stay outside: better-sqlite3 and @node-rs/argon2 are in the image's node_modules for the app; so do
 * pg's optional pg-native (never installed) and pino-pretty (a development dependency).
 * The Dockerfile runs this in its build stage; the tests of the bundles run it first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
export const opsDistDir = path.join(root, 'scripts', 'dist');

const ENTRIES: Record<string, string> = {
  admin: 'scripts/admin.ts',
  'db-migrate': 'scripts/db-migrate.ts',
  'audit-verify': 'scripts/audit-verify.ts',
  'audit-erase': 'scripts/audit-erase.ts',
  'audit-public-key': 'scripts/audit-public-key.ts',
  'database-ready': 'scripts/backup-lib/database-ready.ts',
  'backup-event': 'scripts/backup-lib/backup-event.ts',
  'verify-worker': 'audit/verify-worker.mjs',
};

/** Builds into `outDir` (default scripts/dist; it must sit inside the project, whose node_modules the bundles use). */
export async function buildOpsCommands(outDir = opsDistDir): Promise<string[]> {
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, file)])),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    tsconfig: path.join(root, 'tsconfig.json'),
    external: ['better-sqlite3', '@node-rs/argon2', 'pino-pretty', 'pg-native'],
    // Bundled CommonJS packages (pino, pg) call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __dropCreateRequire } from 'node:module'; const require = __dropCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  });
  return Object.keys(ENTRIES).map((name) => path.join(outDir, `${name}.mjs`));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  buildOpsCommands().then(
    (files) => process.stderr.write(`[ops:build] ${files.map((file) => path.relative(root, file)).join(', ')}\n`),
    (error: unknown) => {
      process.stderr.write(`[ops:build] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
