// A throwaway PostgreSQL cluster from the local installation, for `npm test` and the benchmarks.
// Debian: `apt-get install postgresql`. As root the cluster runs as the `postgres` system user (initdb refuses root).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from './free-port.mjs';
import os from 'node:os';
import path from 'node:path';

export const HOW_TO_GET_POSTGRES = `PostgreSQL is needed for the test suite (every DB test runs on SQLite and PostgreSQL).
  Either point DATABASE_URL_TEST at a server where the user may CREATE DATABASE:
      DATABASE_URL_TEST=postgres://user:pass@127.0.0.1:5432/postgres npm test
  or install the server binaries and let npm test start a throwaway cluster:
      Debian/Ubuntu: sudo apt-get install -y postgresql
      macOS:         brew install postgresql@16`;

export function findPgBin() {
  const candidates = [];
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    for (const v of fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(debian, v, 'bin'));
  }
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')));
}

/** initdb refuses root; as root the cluster is run by the `postgres` system user. */
function asPgUser(bin, args) {
  const isRoot = process.getuid?.() === 0;
  const command = isRoot ? 'runuser' : bin;
  const fullArgs = isRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  return spawnSync(command, fullArgs, { encoding: 'utf8' });
}

/**
 * Starts a fresh cluster on a free port of 127.0.0.1 (trust auth, user `drop`, fsync off) and returns its URL
 * and a stop() that removes it. `say` receives one progress line.
 */
export async function startThrowawayPostgres(bin, say = () => {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-pg-'));
  if (process.getuid?.() === 0) spawnSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const init = asPgUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'drop', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const startServer = () => {
    const start = asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
    if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}\n${fs.readFileSync(path.join(dir, 'log'), 'utf8')}`);
  };
  startServer();
  say(`started a throwaway PostgreSQL on 127.0.0.1:${port} (${bin})`);
  return {
    url: `postgres://drop@127.0.0.1:${port}/postgres`,
    /** Stops the server (fast shutdown: connections are ended) and keeps its data, for resume(). */
    pause() {
      const stopped = asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      if (stopped.status !== 0) throw new Error(`pg_ctl stop failed: ${stopped.stderr}`);
    },
    /** Starts the paused server again on the same port, with the same data. */
    resume: startServer,
    stop() {
      asPgUser(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
