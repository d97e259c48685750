import { openDatabase, type DatabaseHandle } from './connect';
import { serverConfig } from '../config';
import { migrateToLatest } from './migrate';

const globalKey = Symbol.for('drop.database');
type GlobalWithDb = typeof globalThis & { [globalKey]?: Promise<DatabaseHandle> };

/**
 * The app's one database handle, opened from DATABASE_URL and migrated on first use.
 * Cached on globalThis so Next's module reloading in development does not open a second pool.
 */
export function getDatabase(): Promise<DatabaseHandle> {
  const g = globalThis as GlobalWithDb;
  g[globalKey] ??= (async () => {
    const handle = openDatabase(serverConfig().database);
    try {
      await migrateToLatest(handle.db, handle.dialect);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return handle;
  })().catch((error: unknown) => {
    delete g[globalKey];
    throw error;
  });
  return g[globalKey];
}

export async function closeDatabase(): Promise<void> {
  const g = globalThis as GlobalWithDb;
  const pending = g[globalKey];
  delete g[globalKey];
  if (pending) await (await pending).close();
}
