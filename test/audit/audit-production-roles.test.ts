import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendAuditEntry,
  appendSequencedAuditEntry,
  auditCheckpointer,
  auditMacKeys,
  auditSequencer,
  auditSigner,
  generateAuditSigningKeyPem,
  listAuditCheckpoints,
  revealAuditRows,
  verifyAuditChain,
} from '@audit';
import { openDatabase, type DatabaseHandle } from '../../src/server/db/connect';
import { migrateToLatest } from '../../src/server/db/migrate';
import {
  createLeastPrivilegeDatabase,
  productionRoleSetup,
  setupStatements,
  type LeastPrivilegeDatabase,
} from '../helpers/least-privilege';

/**
 * The production role setup of docs/AUDIT.md, run as written (role and database names made unique, by the
 * least-privilege helper): the app's role can append to and read the trail, and cannot change it even with the
 * triggers gone. PostgreSQL only — SQLite has no roles; its side of append-only (triggers) is tested on both
 * databases in audit/log.test.ts.
 */
describe('the production role setup in docs/AUDIT.md (PostgreSQL)', () => {
  let database: LeastPrivilegeDatabase;
  let app: DatabaseHandle;

  beforeAll(async () => {
    expect(setupStatements(productionRoleSetup.clusterPart)).toHaveLength(4);
    expect(setupStatements(productionRoleSetup.databasePart)).toHaveLength(3);
    expect(productionRoleSetup.ownerPart).toMatch(/GRANT SELECT, INSERT ON audit_log TO drop_app/);
    database = await createLeastPrivilegeDatabase();
    app = openDatabase({ dialect: 'postgres', connectionString: database.url });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('lets the app role start (migrations up to date), append entries and verify the chain', async () => {
    expect(await migrateToLatest(app.db, 'postgres')).toEqual([]);
    for (let i = 0; i < 3; i++) {
      await app.db
        .transaction()
        .execute((tx) =>
          appendAuditEntry(
            tx,
            { action: 'login_success', resource: `user:u${i}`, userId: `u${i}`, ip: null, userAgent: null },
            () => undefined,
          ),
        );
    }
    expect(await verifyAuditChain(app)).toMatchObject({ ok: true, entries: 3 });
  });

  it('denies the app role UPDATE, DELETE and TRUNCATE on audit_log, and dropping or disabling its triggers', async () => {
    for (const statement of [
      'UPDATE audit_log SET outcome = outcome',
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
      'ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only',
      'DROP TRIGGER audit_log_append_only ON audit_log',
    ]) {
      await expect(sql.raw(statement).execute(app.db), statement).rejects.toThrow(/permission denied|must be owner/);
    }
    expect(await verifyAuditChain(app)).toMatchObject({ ok: true, entries: 3 });
  });

  it('lets the app role append with personal data encrypted and a checkpoint signed, and queue and seal sequenced entries', async () => {
    const keyring = { masterKey: crypto.randomBytes(32) };
    const checkpointer = auditCheckpointer({ signer: auditSigner(generateAuditSigningKeyPem()), everyEntries: 1, everyMs: 3_600_000 });
    const row = await app.db
      .transaction()
      .execute((tx) =>
        appendAuditEntry(
          tx,
          { action: 'login_success', resource: 'user:u-key', userId: 'u-key', ip: '198.51.100.9', userAgent: 'vitest' },
          () => undefined,
          { keyring, checkpointer },
        ),
      );
    expect(row.ip_address).toMatch(/^enc:v1:/);
    expect((await revealAuditRows(app.db, keyring, [row]))[0]).toMatchObject({ ip_address: '198.51.100.9' });
    expect((await listAuditCheckpoints(app.db)).at(-1)).toMatchObject({ treeSize: row.id, headHash: row.hash });

    const macKeys = auditMacKeys(crypto.randomBytes(32));
    const sequencer = auditSequencer(app.db, { checkpointer, macKeys });
    const sealing: (() => Promise<void>)[] = [];
    await app.db
      .transaction()
      .execute((tx) =>
        appendSequencedAuditEntry(
          tx,
          { action: 'transfer_initiated', resource: 'transfer:t-seq', userId: 'u-key', ip: '198.51.100.9', userAgent: 'vitest' },
          (callback) => sealing.push(callback),
          { sequencer, keyring, macKeys },
        ),
      );
    for (const callback of sealing) await callback();
    expect(
      Number(
        (
          await app.db
            .selectFrom('audit_pending')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(0);
    expect(await verifyAuditChain(app)).toMatchObject({ ok: true, entries: row.id + 1, pending: { count: 0 } });
  });

  it('denies the app role UPDATE, DELETE and TRUNCATE on audit_checkpoints', async () => {
    expect((await listAuditCheckpoints(app.db)).length).toBeGreaterThan(0);
    for (const statement of [
      'UPDATE audit_checkpoints SET signature = signature',
      'DELETE FROM audit_checkpoints',
      'TRUNCATE audit_checkpoints',
    ]) {
      await expect(sql.raw(statement).execute(app.db), statement).rejects.toThrow(/permission denied|must be owner/);
    }
  });
});
