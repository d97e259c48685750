import { describe, expect, it } from 'vitest';
import { TEST_AUTH_SECRET } from '../../../test/helpers/app-server';
import { DIALECTS } from '../../../test/helpers/databases';
import { actorFor, makeUser, useDatabase } from '../../../test/helpers/domain-fixture';
import { inTransaction } from '../db/transaction';
import { hashDocumentNumber, kycStatus, submitKyc, type KycInput } from './kyc';

// The document hash is keyed with AUTH_SECRET; without one, development mode would create ./data/.auth-secret.
process.env.AUTH_SECRET ??= TEST_AUTH_SECRET;

const input: KycInput = {
  fullName: ' Ann Example ',
  dateOfBirth: '1990-04-01',
  documentType: 'passport',
  documentNumber: 'C01X-00T47 9',
};

describe.each(DIALECTS)('KYC on %s', (dialect) => {
  const handle = useDatabase(dialect);

  it('stores the document number only as a keyed hash and its last four characters', async () => {
    const actor = await actorFor(handle(), await makeUser(handle()));
    const result = await inTransaction(handle().db, (tx) => submitKyc(tx, actor, input));
    expect(result.status).toBe('submitted');
    const row = await handle().db.selectFrom('kyc_submissions').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      user_id: actor.userId,
      full_name: 'Ann Example',
      date_of_birth: '1990-04-01',
      document_type: 'passport',
      document_last4: 'T479',
      status: 'submitted',
    });
    expect(row.document_number_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.document_number_hash).toBe(hashDocumentNumber('c01x00t479'));
    expect(JSON.stringify(row)).not.toMatch(/C01X|00T4/i);
  });

  it('refuses a second submission while one is under review (409)', async () => {
    const actor = await actorFor(handle(), await makeUser(handle()));
    await inTransaction(handle().db, (tx) => submitKyc(tx, actor, input));
    await expect(inTransaction(handle().db, (tx) => submitKyc(tx, actor, input))).rejects.toMatchObject({
      kind: 'conflict',
      code: 'kyc_already_submitted',
    });
    const rows = await handle().db.selectFrom('kyc_submissions').select('id').where('user_id', '=', actor.userId).execute();
    expect(rows).toHaveLength(1);
  });

  it('reports not_submitted, then submitted with when, the document type and its last four', async () => {
    const user = await makeUser(handle());
    expect(await kycStatus(handle().db, user.id)).toEqual({ status: 'not_submitted' });
    const actor = await actorFor(handle(), user);
    const before = Date.now();
    await inTransaction(handle().db, (tx) => submitKyc(tx, actor, input));
    const status = await kycStatus(handle().db, user.id);
    expect(status).toEqual({ status: 'submitted', submittedAt: expect.any(String), documentType: 'passport', documentLast4: 'T479' });
    expect(status.status === 'submitted' && Date.parse(status.submittedAt)).toBeGreaterThanOrEqual(before - 1);
  });
});
