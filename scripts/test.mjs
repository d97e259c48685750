#!/usr/bin/env node
// `npm test`: builds the app when needed, makes sure a PostgreSQL server is there, then runs the whole Vitest suite.
// PostgreSQL: DATABASE_URL_TEST if set; otherwise a throwaway cluster from the local installation
// (Debian: `apt-get install postgresql`). With CI=true a missing PostgreSQL fails the run, never skips.
// Docker (test/compose/): the machine's engine; without one, as root on Linux, the Docker harness is set up
// (scripts/docker-harness/harness.sh); otherwise the compose test fails saying how to get one.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { HOW_TO_GET_POSTGRES, findPgBin, startThrowawayPostgres } from './throwaway-postgres.mjs';

const root = path.resolve(import.meta.dirname, '..');
const say = (line) => process.stderr.write(`[test] ${line}\n`);

function ensureBuild() {
  const result = spawnSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) throw new Error('next build failed');
}

function dockerAnswers() {
  const answers = (args) => spawnSync('docker', args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
  return answers(['info']) && answers(['compose', 'version']) && answers(['buildx', 'version']);
}

function ensureDocker() {
  const paths = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const wantsCompose = paths.length === 0 || paths.some((arg) => arg.includes('compose'));
  if (!wantsCompose || dockerAnswers() || process.platform !== 'linux' || process.getuid?.() !== 0) return;
  say('no Docker engine with compose and buildx: setting up the Docker harness (npm run docker:harness)…');
  const result = spawnSync('bash', ['scripts/docker-harness/harness.sh'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) say('the Docker harness failed; the compose test will say what is missing');
}

async function main() {
  ensureDocker();
  let postgres;
  if (!process.env.DATABASE_URL_TEST) {
    const bin = findPgBin();
    if (!bin) {
      say(HOW_TO_GET_POSTGRES);
      process.exit(1);
    }
    postgres = await startThrowawayPostgres(bin, say);
    process.env.DATABASE_URL_TEST = postgres.url;
  }
  if (process.env.SKIP_BUILD !== '1') {
    say('building the app for the end-to-end tests (SKIP_BUILD=1 reuses the last build)…');
    ensureBuild();
  }
  const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
  });
  const stop = () => postgres?.stop();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      vitest.kill(signal);
    });
  }
  vitest.on('exit', (code, signal) => {
    stop();
    process.exit(code ?? (signal ? 1 : 0));
  });
}

main().catch((error) => {
  say(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
