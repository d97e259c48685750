import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, getDatabase } from './index';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './errors';

const configKey = Symbol.for('drop.serverConfig');

/** getDatabase() for a DATABASE_URL of this test (the settings are parsed once per process: parsed again here). */
async function openWith(url: string): Promise<unknown> {
  process.env.DATABASE_URL = url;
  delete (globalThis as Record<symbol, unknown>)[configKey];
  return getDatabase().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('getDatabase when the SQLite file cannot be used', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-open-'));
  const saved = process.env.DATABASE_URL;
  afterEach(async () => {
    await closeDatabase().catch(() => undefined);
    process.env.DATABASE_URL = saved;
    delete (globalThis as Record<symbol, unknown>)[configKey];
  });

  it('is "away" (DatabaseUnavailableError) when its directory cannot be reached, and opens once it can', async () => {
    fs.writeFileSync(path.join(dir, 'volume'), 'a file where the directory should be');
    const error = await openWith(`file:${path.join(dir, 'volume', 'drop.db')}`);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(isDatabaseUnavailable(error)).toBe(true);
    fs.rmSync(path.join(dir, 'volume'));
    expect(await openWith(`file:${path.join(dir, 'volume', 'drop.db')}`)).toBeUndefined();
  });

  it('is broken, not away, when the file is not a database (a 500, not a 503)', async () => {
    const file = path.join(dir, 'not-a-database.db');
    fs.writeFileSync(file, 'plain text, not SQLite '.repeat(200));
    const error = await openWith(`file:${file}`);
    expect(error).toMatchObject({ code: 'SQLITE_NOTADB' });
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
