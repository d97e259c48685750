import { logAuditVerifyFailed, verifyAuditChain } from '@audit';
import { getLogger } from '@otel';
import { getAuditMacKeys } from '@/server/auth/audit-keys';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

/** The chain status (a broken chain is also logged as `audit.verify_failed`): `ok`, how many entries were checked, the newest hash, and the first broken (or unauthenticated) entry if any. */
export const GET = route({ access: 'admin' }, async ({ db }) => {
  const status = await verifyAuditChain(db, { macKeys: getAuditMacKeys() });
  // A broken chain is the operator's emergency, not only this admin's answer: alerted as audit_chain_broken.
  if (status.firstBroken) logAuditVerifyFailed(getLogger(), status.firstBroken, 'GET /api/admin/audit/verify');
  return json(status, 200, { 'Cache-Control': 'no-store' });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
