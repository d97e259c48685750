import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/server/db/connect';
import { migrateToLatest } from '../../src/server/db/migrate';

export type DialectName = 'sqlite' | 'postgres';
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  dialect: DialectName;
  /** A DATABASE_URL for this database, to hand to a server process. */
  url: string;
  drop(): Promise<void>;
}

/** The PostgreSQL admin URL set up by `npm test` (scripts/test.mjs) or by the developer. */
export function postgresAdminUrl(): string {
  const url = process.env.DATABASE_URL_TEST;
  if (!url) {
    throw new Error('DATABASE_URL_TEST is not set: run the suite with `npm test`, which starts PostgreSQL, or set it yourself');
  }
  return url;
}

/** A fresh, empty database: a temp SQLite file, or a new PostgreSQL database on the test server. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-sqlite-'));
    const file = path.join(dir, 'drop.db');
    return { dialect, url: `file:${file}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = postgresAdminUrl();
  const name = `drop_test_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Opens and migrates a test database in this process, for domain-level tests. */
export async function openTestDatabase(test: Pick<TestDatabase, 'url'>): Promise<DatabaseHandle> {
  const { parseDatabaseUrl } = await import('../../src/server/db/database-url');
  const handle = openDatabase(parseDatabaseUrl(test.url));
  await migrateToLatest(handle.db, handle.dialect);
  return handle;
}
