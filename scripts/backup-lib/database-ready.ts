// Whether DATABASE_URL's database is there to back up: it exists and has every migration this version knows (the
// app has started on it). scripts/backup-scheduler.sh asks before each backup, bundled as
// scripts/dist/database-ready.mjs. Reads only: a SQLite file is opened read-only and never created.
// Exit 0: ready. Exit 1: not yet, the reason as one line on stdout. Exit 2: DATABASE_URL is invalid.
import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { logToStderr } from '@otel';
import { openDatabase } from '../../src/server/db/connect';
import { parseDatabaseUrl, type DatabaseConfig } from '../../src/server/db/database-url';
import { migrationsFor } from '../../src/server/db/migrations';
import type { Database } from '../../src/server/db/schema';

/** A server that takes longer than this to answer counts as not there (yet). */
const TIMEOUT_MS = 10_000;

class NotReady extends Error {}

async function pendingMigrations(db: Kysely<Database>, dialect: DatabaseConfig['dialect']): Promise<number> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(dialect) } });
  return (await migrator.getMigrations()).filter((migration) => !migration.executedAt).length;
}

async function check(config: DatabaseConfig): Promise<void> {
  let db: Kysely<Database>;
  let close: () => Promise<void>;
  if (config.dialect === 'sqlite') {
    if (!fs.existsSync(config.file)) throw new NotReady(`database not found: ${config.file}`);
    try {
      db = new Kysely<Database>({
        dialect: new SqliteDialect({ database: new SQLite(config.file, { readonly: true, fileMustExist: true }) }),
      });
    } catch (error) {
      throw new NotReady(`database cannot be opened: ${config.file}: ${(error as Error).message}`);
    }
    close = () => db.destroy();
  } else {
    const handle = openDatabase(config);
    db = handle.db;
    close = handle.close;
  }
  try {
    const pending = await pendingMigrations(db, config.dialect);
    const known = Object.keys(migrationsFor(config.dialect)).length;
    if (pending > 0) throw new NotReady(`database not migrated yet: ${known - pending} of ${known} migrations applied`);
  } catch (error) {
    if (error instanceof NotReady) throw error;
    throw new NotReady(`database not reachable: ${(error as Error).message}`);
  } finally {
    await close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  logToStderr();
  let config: DatabaseConfig;
  try {
    config = parseDatabaseUrl(process.env.DATABASE_URL);
  } catch (error) {
    process.stdout.write(`${(error as Error).message}\n`);
    return 2;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NotReady(`database did not answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  try {
    await Promise.race([check(config), timeout]);
    return 0;
  } catch (error) {
    process.stdout.write(`${(error as Error).message.replace(/\s+/g, ' ')}\n`);
    return 1;
  } finally {
    clearTimeout(timer);
  }
}

main().then((code) => process.exit(code));
