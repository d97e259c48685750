import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../test/helpers/databases';
import { useDatabase } from '../test/helpers/domain-fixture';
import { appendAuditEntry, type AuditInput } from './log';
import {
  AuditKeyMismatchError,
  AuditLegalHoldError,
  ERASED,
  UNREADABLE,
  checkAuditKeyring,
  eraseAuditUserKey,
  revealAuditRows,
  setAuditLegalHold,
  type AuditKeyring,
} from './personal-data';
import { verifyAuditChain } from './verify';

const keyring: AuditKeyring = { masterKey: crypto.randomBytes(32) };

describe.each(DIALECTS)('personal data in audit entries on %s', (dialect) => {
  const database = useDatabase(dialect);

  const append = (input: Partial<AuditInput> & { userId: string | null }, withKeyring: AuditKeyring = keyring) =>
    database()
      .db.transaction()
      .execute((tx) =>
        appendAuditEntry(
          tx,
          { action: 'login_failure', resource: `user:${input.userId}`, ip: '198.51.100.23', userAgent: 'Firefox/140', ...input },
          () => undefined,
          { keyring: withKeyring },
        ),
      );
  const stored = (id: number) => database().db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const reveal = async (id: number, withKeyring: AuditKeyring = keyring) =>
    (await revealAuditRows(database().db, withKeyring, [await stored(id)]))[0]!;
  const erase = (userId: string) =>
    database()
      .db.transaction()
      .execute((tx) => eraseAuditUserKey(tx, userId));

  it('is stored encrypted with the user’s key and read back in clear', async () => {
    const row = await append({ userId: 'alice', details: { email: 'alice@example.test', name: 'Alice', reason: 'wrong_password' } });
    const raw = await stored(row.id);
    expect(raw.ip_address).toMatch(/^enc:v1:/);
    expect(raw.user_agent).toMatch(/^enc:v1:/);
    expect(raw.details).not.toContain('alice@example.test');
    expect(JSON.parse(raw.details)).toMatchObject({ reason: 'wrong_password', email: expect.stringMatching(/^enc:v1:/) });
    expect(await reveal(row.id)).toMatchObject({
      ip_address: '198.51.100.23',
      user_agent: 'Firefox/140',
      details: JSON.stringify({ email: 'alice@example.test', name: 'Alice', reason: 'wrong_password' }),
      hash: raw.hash,
    });
    // Without a user there is no key: the masked email of an unknown address stays as it is.
    const anonymous = await append({ userId: null, details: { email: 'n***@example.test' } });
    expect(await stored(anonymous.id)).toMatchObject({
      ip_address: '198.51.100.23',
      details: JSON.stringify({ email: 'n***@example.test' }),
    });
  });

  it('reads "erased" once the key is destroyed, while the chain still verifies', async () => {
    const alice = await append({ userId: 'alice', details: { email: 'alice@example.test' } });
    const bob = await append({ userId: 'bob' });
    expect(await erase('alice')).toMatchObject({ userId: 'alice', keyDestroyed: true });
    expect(await reveal(alice.id)).toMatchObject({ ip_address: ERASED, user_agent: ERASED, details: JSON.stringify({ email: ERASED }) });
    expect(await reveal(bob.id)).toMatchObject({ ip_address: '198.51.100.23', user_agent: 'Firefox/140' });
    expect(await verifyAuditChain(database())).toMatchObject({ ok: true, firstBroken: null });
    const key = await database().db.selectFrom('audit_user_keys').selectAll().where('user_id', '=', 'alice').executeTakeFirstOrThrow();
    expect(key).toMatchObject({ wrapped_key: null, erased_at: expect.any(Number) });
    // Entries written for her afterwards keep no personal data at all.
    const later = await append({ userId: 'alice' });
    expect(await stored(later.id)).toMatchObject({ ip_address: ERASED, user_agent: ERASED });
  });

  it('refuses erasure under a legal hold, and allows it once the hold is released', async () => {
    const carol = await append({ userId: 'carol' });
    await database()
      .db.transaction()
      .execute((tx) => setAuditLegalHold(tx, 'carol', 'case 2026-17'));
    await expect(erase('carol')).rejects.toThrow(AuditLegalHoldError);
    expect(await reveal(carol.id)).toMatchObject({ ip_address: '198.51.100.23' });
    await database()
      .db.transaction()
      .execute((tx) => setAuditLegalHold(tx, 'carol', null));
    expect(await erase('carol')).toMatchObject({ keyDestroyed: true });
    expect(await reveal(carol.id)).toMatchObject({ ip_address: ERASED });
  });

  it('keeps encrypting for a user put under hold before their first entry', async () => {
    await database()
      .db.transaction()
      .execute((tx) => setAuditLegalHold(tx, 'dave', 'case 2026-18'));
    const dave = await append({ userId: 'dave' });
    expect((await stored(dave.id)).ip_address).toMatch(/^enc:v1:/);
    expect(await reveal(dave.id)).toMatchObject({ ip_address: '198.51.100.23' });
  });

  it('with another master key: writes for an existing user are refused with a clear error, reads say "unreadable", not "erased"', async () => {
    const other: AuditKeyring = { masterKey: crypto.randomBytes(32) };
    const erin = await append({ userId: 'erin', details: { email: 'erin@example.test' } });
    await expect(append({ userId: 'erin' }, other)).rejects.toThrow(AuditKeyMismatchError);
    await expect(append({ userId: 'erin' }, other)).rejects.toThrow(/AUDIT_ENCRYPTION_KEY/);
    expect(await reveal(erin.id, other)).toMatchObject({
      ip_address: UNREADABLE,
      user_agent: UNREADABLE,
      details: JSON.stringify({ email: UNREADABLE }),
    });
    // An erased user still reads "erased" under any master key.
    const frank = await append({ userId: 'frank' });
    await erase('frank');
    expect(await reveal(frank.id, other)).toMatchObject({ ip_address: ERASED });
    expect(await checkAuditKeyring(database().db, keyring)).toBe('ok');
    expect(await checkAuditKeyring(database().db, other)).toBe('mismatch');
  });
});
