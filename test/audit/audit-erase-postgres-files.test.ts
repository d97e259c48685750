import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEntry } from '@audit';
import { findPgBin, startThrowawayPostgres } from '../../scripts/throwaway-postgres.mjs';
import { openDatabase, type DatabaseHandle } from '../../src/server/db/connect';
import { TEST_AUDIT_KEYRING, TEST_AUDIT_MAC_KEYS, TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET } from '../helpers/app-server';
import { runAuditScript } from '../helpers/audit-cli';
import { createLeastPrivilegeDatabase, type LeastPrivilegeDatabase } from '../helpers/least-privilege';

const ENV = { AUTH_SECRET: TEST_AUTH_SECRET, AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY };
const USERS = 40;

interface Person {
  id: string;
  email: string;
  name: string;
  ip: string;
  userAgent: string;
  wrappedKey: string;
}

/** Every file under the cluster's data directory except the WAL (the table, index, TOAST and catalog files). */
function dataFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'pg_wal' ? [] : dataFiles(full);
    return entry.isFile() ? [full] : [];
  });
}

/**
 * Erasure on PostgreSQL, checked on disk: a throwaway cluster (its files are ours to read), set up as docs/AUDIT.md's
 * production roles say, the app role writing, statistics gathered (ANALYZE, as autovacuum does). After
 * `audit:erase` with the owner's URL, no data file of the cluster holds the destroyed key, the old email, name, IP or
 * user agent; with the app role's rights alone, the erasure is done but the old row versions stay in the files, and
 * the script says so (exit 3).
 */
describe('audit:erase on PostgreSQL removes the erased values from the cluster’s files', () => {
  let cluster: Awaited<ReturnType<typeof startThrowawayPostgres>>;
  let database: LeastPrivilegeDatabase;
  let app: DatabaseHandle;
  let superuser: pg.Client;
  let dataDirectory: string;
  const people: Person[] = [];

  beforeAll(async () => {
    const bin = findPgBin();
    if (!bin) throw new Error('no PostgreSQL server binaries (apt-get install postgresql)');
    cluster = await startThrowawayPostgres(bin);
    database = await createLeastPrivilegeDatabase(cluster.url);
    superuser = new pg.Client({ connectionString: cluster.url });
    await superuser.connect();
    dataDirectory = (await superuser.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    app = openDatabase({ dialect: 'postgres', connectionString: database.url });
    const now = Date.now();
    for (let i = 0; i < USERS; i++) {
      const tag = `${i}`.padStart(2, '0');
      const person = {
        id: `person-${tag}`,
        email: `erasable.person-${tag}@example.test`,
        name: `Erasable Surname-${tag}`,
        ip: `198.51.100.${100 + i}`,
        userAgent: `ErasableBrowser/${tag}.9`,
      };
      await app.db
        .insertInto('users')
        .values({
          id: person.id,
          email: person.email,
          name: person.name,
          password_hash: 'x',
          role: 'user',
          balance_cents: 0,
          created_at: now,
        })
        .execute();
      await app.db
        .insertInto('sessions')
        .values({
          id: `${person.id}-s`,
          user_id: person.id,
          created_at: now,
          last_seen_at: now,
          expires_at: now + 3_600_000,
          revoked_at: null,
          ip: person.ip,
          user_agent: person.userAgent,
          role: 'user',
        })
        .execute();
      await app.db
        .transaction()
        .execute((tx) =>
          appendAuditEntry(
            tx,
            { action: 'login_success', resource: `user:${person.id}`, userId: person.id, ip: person.ip, userAgent: person.userAgent },
            () => undefined,
            { keyring: TEST_AUDIT_KEYRING, macKeys: TEST_AUDIT_MAC_KEYS },
          ),
        );
      const { wrapped_key } = await app.db
        .selectFrom('audit_user_keys')
        .select('wrapped_key')
        .where('user_id', '=', person.id)
        .executeTakeFirstOrThrow();
      people.push({ ...person, wrappedKey: wrapped_key! });
    }
    // Planner statistics, as autovacuum gathers them: sample values of each column go to pg_statistic unless excluded.
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query('ANALYZE audit_user_keys, users, sessions');
    } finally {
      await owner.end();
    }
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await superuser?.end();
    await database?.drop();
    cluster?.stop();
  });

  /** The values of a person that are in some data file of the cluster, after a checkpoint wrote every page. */
  async function onDisk(person: Person): Promise<string[]> {
    await superuser.query('CHECKPOINT');
    const files = dataFiles(dataDirectory).map((file) => fs.readFileSync(file));
    const values = [person.wrappedKey, person.email, person.name, person.ip, person.userAgent];
    return values.filter((value) => files.some((bytes) => bytes.includes(Buffer.from(value))));
  }

  it('finds what is there: before any erasure, every value of a user is in the files', async () => {
    const person = people[7]!;
    expect(await onDisk(person)).toEqual([person.wrappedKey, person.email, person.name, person.ip, person.userAgent]);
  });

  it('with the app role alone: erased in the database, but the old versions stay in the files; exit 3 says so', async () => {
    const person = people[3]!;
    const { code, stderr } = await runAuditScript('audit-erase.ts', database.url, [person.id], ENV);
    expect(code, stderr).toBe(3);
    expect(stderr).toMatch(
      /audit:erase: erased, but the old row versions are still in the files of .*does not own them.*DATABASE_OWNER_URL/,
    );
    expect(await app.db.selectFrom('users').select('email').where('id', '=', person.id).executeTakeFirstOrThrow()).toEqual({
      email: `erased-${person.id}@erased.invalid`,
    });
    expect(await onDisk(person)).toContain(person.wrappedKey);
  });

  it('with the owner’s URL: none of the erased values is left in any data file; the others’ are', { timeout: 60_000 }, async () => {
    const person = people[11]!;
    const { code, stdout, stderr } = await runAuditScript('audit-erase.ts', database.url, [person.id], {
      ...ENV,
      DATABASE_OWNER_URL: database.ownerUrl,
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/erased: the audit key of user person-11 is destroyed/);
    expect(await onDisk(person)).toEqual([]);
    // The rewrite also took the old versions the app-role erasure left behind.
    expect(await onDisk(people[3]!)).toEqual([]);
    const kept = people[20]!;
    expect(await onDisk(kept)).toEqual([kept.wrappedKey, kept.email, kept.name, kept.ip, kept.userAgent]);
  });
});
