import { openDatabase, pingDatabase, type DatabaseHandle } from './connect';
import { serverConfig } from '../config';
import { migrateToLatest } from './migrate';
import { DatabaseUnavailableError, isDatabaseUnavailable, isUnreachablePath } from './errors';
import { databaseOutageInProgress, noteDatabaseAvailable, noteDatabaseUnavailable } from './outage';

const globalKey = Symbol.for('drop.database');
type GlobalWithDb = typeof globalThis & { [globalKey]?: Promise<DatabaseHandle> };

/**
 * The app's one database handle, opened from DATABASE_URL and migrated on first use.
 * Cached on globalThis so Next's module reloading in development does not open a second pool.
 */
export function getDatabase(): Promise<DatabaseHandle> {
  const g = globalThis as GlobalWithDb;
  g[globalKey] ??= (async () => {
    let handle: DatabaseHandle;
    try {
      handle = openDatabase(serverConfig().database);
    } catch (error) {
      // The SQLite file or its directory cannot be reached (a volume not mounted, say): away. A file that is not a
      // database (SQLITE_NOTADB) is broken, not away, and stays a 500.
      throw isDatabaseUnavailable(error) || isUnreachablePath(error) ? new DatabaseUnavailableError(error) : error;
    }
    try {
      await migrateToLatest(handle.db, handle.dialect);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw isDatabaseUnavailable(error) ? new DatabaseUnavailableError(error) : error;
    }
    return handle;
  })().catch((error: unknown) => {
    // Not cached: the next caller tries again, so the app recovers without a restart once the database is back.
    delete g[globalKey];
    if (isDatabaseUnavailable(error)) noteDatabaseUnavailable(error);
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

/**
 * After a request that got its answer: if an outage is in progress, checks that the database really answers (the
 * request may not have needed it) and ends the outage.
 */
export async function confirmDatabaseBack(handle: DatabaseHandle): Promise<void> {
  if (!databaseOutageInProgress()) return;
  try {
    await pingDatabase(handle.db);
    noteDatabaseAvailable();
  } catch {
    // Still away: the outage goes on (and was logged when it began).
  }
}
