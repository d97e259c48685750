// Shared by the backup tests: run the real scripts as processes, seed and read real databases.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, openTestDatabase, postgresAdminUrl, type TestDatabase } from '../helpers/databases';
import { TEST_AUTH_SECRET } from '../helpers/app-server';
import { seedDemoUsers } from '../../src/server/db/seed';

export const ROOT = path.resolve(__dirname, '../..');

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * This process's environment less DATABASE_URL and BACKUP_*, plus the test servers' AUTH_SECRET (the audit MAC key
 * a drill's audit:verify checks entries with) and `env`: what each script run sees.
 */
export function scriptEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AUTH_SECRET: TEST_AUTH_SECRET };
  for (const key of Object.keys(childEnv)) if (key === 'DATABASE_URL' || key.startsWith('BACKUP_')) delete childEnv[key];
  return Object.assign(childEnv, env);
}

/** Runs scripts/<name> with a clean backup environment (no DATABASE_URL/BACKUP_* leaking from the caller). */
export function runScript(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string; wrap?: string } = {},
): Promise<ScriptResult> {
  const script = path.join(ROOT, 'scripts', name);
  // `wrap` is a shell prefix run before the script, e.g. `ulimit -f 64;`.
  const command = options.wrap ? 'bash' : script;
  const commandArgs = options.wrap ? ['-c', `${options.wrap} exec "$0" "$@"`, script, ...args] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: options.cwd ?? ROOT,
      env: scriptEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface BackupSummary {
  ok: true;
  file: string;
  bytes: number;
  durationMs: number;
  integrity: string;
  check: 'integrity_check' | 'quick_check' | 'pg_restore --list';
  dialect: 'sqlite' | 'postgres';
  sha256: string;
  compressed: boolean;
  retentionDeleted: number;
}

/** The one JSON line backup.sh prints on success; throws with its stderr otherwise. */
export function backupSummary(result: ScriptResult): BackupSummary {
  if (result.code !== 0) throw new Error(`backup.sh exited ${result.code}: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`backup.sh printed ${lines.length} lines on stdout: ${result.stdout}`);
  return JSON.parse(lines[0]!) as BackupSummary;
}

export interface FailureLine {
  ok: false;
  exitCode: number;
  message: string;
}

/** The one JSON line backup.sh, restore.sh and the drill (on bad usage) print on failure: its exit code matches
 *  the process's, and its message is the error's. */
export function failureLine(result: ScriptResult): FailureLine {
  const lines = result.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stdout, got ${lines.length}: ${result.stdout}`);
  const line = JSON.parse(lines[0]!) as FailureLine;
  if (line.ok !== false || line.exitCode !== result.code || typeof line.message !== 'string') {
    throw new Error(`not the failure line of an exit ${result.code}: ${lines[0]}`);
  }
  return line;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sqliteFile = (url: string) => url.slice('file:'.length);

/** Migrates the app schema, adds the demo users and `transfers` transfers between them. */
export async function seedAppData(test: TestDatabase, transfers: number): Promise<void> {
  const handle = await openTestDatabase(test);
  try {
    await seedDemoUsers(handle.db, 'backup-test-password');
    const users = await handle.db.selectFrom('users').select('id').orderBy('email').execute();
    const [a, b] = [users[1]!.id, users[2]!.id];
    for (let i = 0; i < transfers; i += 100) {
      const rows = Array.from({ length: Math.min(100, transfers - i) }, (_, j) => ({
        id: crypto.randomUUID(),
        kind: 'transfer' as const,
        from_user_id: (i + j) % 2 ? a : b,
        to_user_id: (i + j) % 2 ? b : a,
        amount_cents: 100 + i + j,
        note: `note ${i + j} ${'x'.repeat((i + j) % 50)}`,
        status: 'completed' as const,
        idempotency_key: null,
        request_hash: null,
        created_at: 1_700_000_000_000 + i + j,
        completed_at: 1_700_000_000_500 + i + j,
      }));
      await handle.db.insertInto('transfers').values(rows).execute();
    }
  } finally {
    await handle.close();
  }
}

/** Every user table and its rows in a stable order: equal snapshots mean identical content.
 *  (SQLite is opened read-write, only so that closing removes the -wal/-shm files that opening creates.) */
export async function contentSnapshot(url: string): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  if (url.startsWith('file:')) {
    const db = new SQLite(sqliteFile(url), { fileMustExist: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all() as string[];
      for (const table of tables) {
        const columns = (db.pragma(`table_info("${table}")`) as { name: string }[]).map((_, i) => i + 1);
        snapshot[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${columns.join(', ')}`).all();
      }
      snapshot.__schema = db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY type, name').all();
    } finally {
      db.close();
    }
    return snapshot;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    for (const { table_name: table } of tables.rows) {
      const columns = await client.query(`SELECT * FROM "${table}" LIMIT 0`);
      const order = columns.fields.map((_, i) => i + 1).join(', ');
      snapshot[table] = (await client.query(`SELECT * FROM "${table}" ORDER BY ${order}`)).rows;
    }
    snapshot.__schema = (
      await client.query("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname")
    ).rows;
  } finally {
    await client.end();
  }
  return snapshot;
}

export async function countRows(url: string, table: string): Promise<number> {
  if (url.startsWith('file:')) {
    const db = new SQLite(sqliteFile(url), { fileMustExist: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
  } finally {
    await client.end();
  }
}

/** A URL for a database name on the test server that does not exist yet, and its cleanup (also drops the
 *  <name>_pre_restore_* copies restore.sh leaves behind). */
export function postgresDatabaseUrl(name: string): { url: string; drop(): Promise<void> } {
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropPostgresDatabases(name) };
}

export async function dropPostgresDatabases(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    const names = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`]);
    for (const { datname } of names.rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export { createTestDatabase };
