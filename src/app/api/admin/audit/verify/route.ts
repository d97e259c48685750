import { verifyAuditChain } from '@audit';
import { getAuditMacKeys } from '@/server/auth/audit-keys';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

/** The chain status: `ok`, how many entries were checked, the newest hash, and the first broken (or unauthenticated) entry if any. */
export const GET = route({ access: 'admin' }, async ({ db }) => {
  return json(await verifyAuditChain(db, { macKeys: getAuditMacKeys() }), 200, { 'Cache-Control': 'no-store' });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
