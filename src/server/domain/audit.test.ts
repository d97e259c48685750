import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failAuditInserts } from '../../../test/helpers/audit-owner';
import { DIALECTS, createTestDatabase, openTestDatabase, type TestDatabase } from '../../../test/helpers/databases';
import { exportedAuditEvents, inSpan, installInMemoryTracing } from '../../../test/helpers/in-memory-spans';
import { revealAuditRows, verifyAuditChain } from '@audit';
import { getAuditKeyring } from '../auth/audit-keys';
import { hashPassword } from '../auth/password';
import type { DatabaseHandle } from '../db/connect';
import { inTransaction } from '../db/transaction';
import { recordAudit } from './audit';
import { changePassword, login, register } from './auth';
import type { Actor, RequestContext } from './context';
import { submitKyc } from './kyc';
import { createSession } from './sessions';
import { confirmTransfer, createTransfer } from './transfers';
import { createUser } from './users';

const exporter = installInMemoryTracing();
const ctx: RequestContext = { ip: '192.0.2.10', userAgent: 'domain-test' };
const PASSWORD = 'correct horse battery';

describe.each(DIALECTS)('audited domain actions on %s', (dialect) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;
  let alice: Actor;
  let bobId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    handle = await openTestDatabase(testDb);
    const passwordHash = await hashPassword(PASSWORD);
    const users = await inTransaction(handle.db, async (tx) => [
      await createUser(tx, { email: 'alice@example.test', name: 'Alice', passwordHash, balanceCents: 10_000 }),
      await createUser(tx, { email: 'bob@example.test', name: 'Bob', passwordHash }),
    ]);
    const session = await inTransaction(handle.db, (tx) => createSession(tx, users[0]!.id, ctx));
    alice = { ...ctx, userId: users[0]!.id, sessionId: session.id, role: 'user' };
    bobId = users[1]!.id;
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });
  beforeEach(() => exporter.reset());

  const head = () => handle.db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst();
  /** As readers see them: personal data decrypted (stored, it is encrypted with the user's key). */
  const entriesAfter = async (id: number) =>
    revealAuditRows(
      handle.db,
      getAuditKeyring(),
      await handle.db.selectFrom('audit_log').selectAll().where('id', '>', id).orderBy('id').execute(),
    );
  const lastId = async () => (await head())?.id ?? 0;

  it('registers with a register and a session_created entry, both stamped with the request', async () => {
    const from = await lastId();
    const { traceId, result } = await inSpan('POST /api/auth/register', () =>
      register(handle, { email: 'carol@example.test', password: PASSWORD, name: 'Carol' }, ctx),
    );
    const rows = await entriesAfter(from);
    expect(rows.map((r) => [r.action, r.resource, r.user_id])).toEqual([
      ['register', `user:${result!.user.id}`, result!.user.id],
      ['session_created', `session:${result!.session.id}`, result!.user.id],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ outcome: 'success', ip_address: ctx.ip, user_agent: ctx.userAgent, request_id: traceId });
    }
    expect(exportedAuditEvents(exporter).map((e) => e.name)).toEqual(['audit.register', 'audit.session_created']);
  });

  it('records failed logins in their own transaction: unknown email without a user, wrong password with one', async () => {
    const from = await lastId();
    const unknown = await inSpan('login', () => login(handle, { email: 'Nobody@Example.test', password: 'x' }, ctx));
    const wrong = await inSpan('login', () => login(handle, { email: 'bob@example.test', password: 'wrong password' }, ctx));
    expect(unknown.error).toMatchObject({ code: 'invalid_credentials' });
    expect(wrong.error).toMatchObject({ code: 'invalid_credentials' });
    const rows = await entriesAfter(from);
    expect(rows.map((r) => [r.action, r.outcome, r.user_id, r.resource, JSON.parse(r.details)])).toEqual([
      ['login_failure', 'failure', null, 'user:unknown', { reason: 'unknown_email', email: 'n***@example.test' }],
      ['login_failure', 'failure', bobId, `user:${bobId}`, { reason: 'wrong_password' }],
    ]);
    expect(rows.map((r) => r.request_id)).toEqual([unknown.traceId, wrong.traceId]);
    expect(exportedAuditEvents(exporter).map((e) => e.name)).toEqual(['audit.login_failure', 'audit.login_failure']);
  });

  it('records rate-limited login attempts as login_failure too', async () => {
    const limitedCtx = { ...ctx, ip: '192.0.2.99' };
    for (let i = 0; i < 5; i++) await login(handle, { email: 'bob@example.test', password: 'nope' }, limitedCtx).catch(() => undefined);
    const from = await lastId();
    const limited = await inSpan('login', () => login(handle, { email: 'bob@example.test', password: PASSWORD }, limitedCtx));
    expect(limited.error).toMatchObject({ code: 'rate_limited' });
    const rows = await entriesAfter(from);
    expect(rows.map((r) => [r.action, r.user_id, JSON.parse(r.details), r.ip_address])).toEqual([
      ['login_failure', bobId, { reason: 'rate_limited' }, '192.0.2.99'],
    ]);
  });

  it('changes a password with one session_revoked entry per session (the current one rotated), then password_change', async () => {
    const others = await inTransaction(handle.db, async (tx) => [
      await createSession(tx, alice.userId, ctx),
      await createSession(tx, alice.userId, ctx),
    ]);
    const from = await lastId();
    const { session } = await changePassword(handle, alice, { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` });
    const rows = await entriesAfter(from);
    // The current session is rotated with the others: revoked, and a new one opened.
    const revoked = [...others.map((s) => s.id), alice.sessionId].map((id) => `session:${id}`).sort();
    expect(rows.map((r) => [r.action, r.resource, JSON.parse(r.details)])).toEqual([
      ...revoked.map((resource) => ['session_revoked', resource, { reason: 'password_change' }]),
      ['session_created', `session:${session.id}`, { expiresAt: expect.any(String) }],
      ['password_change', `user:${alice.userId}`, { revokedSessions: 2 }],
    ]);
    await changePassword(handle, alice, { currentPassword: `${PASSWORD}!`, newPassword: PASSWORD });
  });

  it('records a wrong current password as a failed password_change', async () => {
    const from = await lastId();
    await expect(changePassword(handle, alice, { currentPassword: 'not it at all', newPassword: 'whatever-new-1' })).rejects.toMatchObject({
      code: 'invalid_current_password',
    });
    expect((await entriesAfter(from)).map((r) => [r.action, r.outcome])).toEqual([['password_change', 'failure']]);
  });

  it('does not record an idempotent replay as a second transfer_initiated', async () => {
    const from = await lastId();
    const input = { toEmail: 'bob@example.test', amountCents: 500 };
    const first = await inTransaction(handle.db, (tx) => createTransfer(tx, alice, input, 'replay-key-0001'));
    const again = await inTransaction(handle.db, (tx) => createTransfer(tx, alice, input, 'replay-key-0001'));
    expect(again).toMatchObject({ replayed: true, transfer: { id: first.transfer.id } });
    expect((await entriesAfter(from)).map((r) => r.action)).toEqual(['transfer_initiated']);
  });

  it('fault: the domain write fails after the audit insert → neither persists, no span event', async () => {
    const from = await lastId();
    const headBefore = await handle.db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    const { error } = await inSpan('POST /api/transfers', () =>
      inTransaction(handle.db, async (tx) => {
        await recordAudit(tx, alice, { action: 'transfer_initiated', resource: 'transfer:doomed', userId: alice.userId });
        // A domain write that fails: a second user with an email already taken.
        await tx
          .insertInto('users')
          .values({ id: 'doomed', email: 'bob@example.test', name: 'x', password_hash: 'x', role: 'user', balance_cents: 0, created_at: 0 })
          .execute();
      }),
    );
    expect(error).toBeDefined();
    expect(await entriesAfter(from)).toEqual([]);
    expect(await handle.db.selectFrom('users').select('id').where('id', '=', 'doomed').executeTakeFirst()).toBeUndefined();
    expect(await handle.db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow()).toEqual(headBefore);
    expect(exportedAuditEvents(exporter)).toEqual([]);
  });

  it('fault: the audit insert fails after the domain write → neither persists, no span event', async () => {
    const from = await lastId();
    const kycBefore = await handle.db.selectFrom('kyc_submissions').select('id').execute();
    const transfer = await inTransaction(handle.db, (tx) =>
      createTransfer(tx, alice, { toEmail: 'bob@example.test', amountCents: 700 }, 'fault-key-0001'),
    );
    const balanceBefore = await handle.db
      .selectFrom('users')
      .select('balance_cents')
      .where('id', '=', alice.userId)
      .executeTakeFirstOrThrow();
    exporter.reset();
    const fault = await failAuditInserts(handle);
    try {
      const kyc = await inSpan('POST /api/kyc', () =>
        inTransaction(handle.db, (tx) =>
          submitKyc(tx, alice, {
            fullName: 'Alice Example',
            dateOfBirth: '1990-01-01',
            documentType: 'passport',
            documentNumber: 'P1234567',
          }),
        ),
      );
      expect(String(kyc.error)).toMatch(/injected audit failure/);
      const confirm = await inSpan('POST /api/transfers/confirm', () =>
        inTransaction(handle.db, (tx) => confirmTransfer(tx, alice, transfer.transfer.id)),
      );
      expect(String(confirm.error)).toMatch(/injected audit failure/);
    } finally {
      await fault.restore();
    }
    expect(await handle.db.selectFrom('kyc_submissions').select('id').execute()).toEqual(kycBefore);
    const stillPending = await handle.db
      .selectFrom('transfers')
      .select('status')
      .where('id', '=', transfer.transfer.id)
      .executeTakeFirstOrThrow();
    expect(stillPending.status).toBe('pending');
    const balanceAfter = await handle.db
      .selectFrom('users')
      .select('balance_cents')
      .where('id', '=', alice.userId)
      .executeTakeFirstOrThrow();
    expect(balanceAfter).toEqual(balanceBefore);
    expect((await entriesAfter(from)).map((r) => r.action)).toEqual(['transfer_initiated']);
    expect(exportedAuditEvents(exporter)).toEqual([]);
    expect((await verifyAuditChain(handle)).ok).toBe(true);
  });
});
