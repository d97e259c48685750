import path from 'node:path';

export type DatabaseConfig = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; connectionString: string };

export const DEFAULT_SQLITE_FILE = './data/drop.db';

export class DatabaseUrlError extends Error {}

/**
 * Unset → ./data/drop.db; `file:/path/x.db` → that SQLite file; `postgres://` or `postgresql://` → PostgreSQL.
 */
export function parseDatabaseUrl(url: string | undefined, cwd = process.cwd()): DatabaseConfig {
  const value = url?.trim();
  if (!value) return { dialect: 'sqlite', file: path.resolve(/*turbopackIgnore: true*/ cwd, DEFAULT_SQLITE_FILE) };
  if (value.startsWith('file:')) {
    const file = value.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new DatabaseUrlError('DATABASE_URL "file:" needs a path, e.g. file:./data/drop.db');
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(/*turbopackIgnore: true*/ cwd, file) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) return { dialect: 'postgres', connectionString: value };
  throw new DatabaseUrlError('DATABASE_URL must be unset (SQLite at ./data/drop.db), file:<path> (SQLite) or postgres://… (PostgreSQL)');
}

export function describeDatabase(config: DatabaseConfig): string {
  if (config.dialect === 'sqlite') return `sqlite:${config.file}`;
  const url = new URL(config.connectionString);
  return `postgresql://${url.hostname}:${url.port || 5432}${url.pathname}`;
}
