// For the store's tests only (never imported by the service): the same cases on a real SQLite file and on a real
// PostgreSQL database (a fresh one per test on the server DATABASE_URL_TEST names), each reopened as a restart
// reopens it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../../../test/helpers/databases';
import { openMigratedStore, type AlertStore, type StoreLocation } from './database';

export interface TestStore {
  location: StoreLocation;
  /** The store as a (re)start opens it: migrated. */
  open(): Promise<AlertStore>;
  drop(): Promise<void>;
}

export const STORE_KINDS = ['a real SQLite file', 'a real PostgreSQL database'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'a real SQLite file') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-alert-store-'));
    const location = { file: path.join(dir, 'nested', 'state.db') };
    return { location, open: () => openMigratedStore(location), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const database = await createTestDatabase('postgres');
  const location = { url: database.url, queryTimeoutMs: 5_000 };
  return { location, open: () => openMigratedStore(location), drop: () => database.drop() };
}
