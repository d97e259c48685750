import { listAuditCheckpoints } from '@audit';
import { getAuditSigner } from '@/server/auth/audit-keys';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const dynamic = 'force-dynamic';

/**
 * The signed checkpoints of the audit chain, oldest first (the newest 10,000: listAuditCheckpoints' limit, documented
 * in docs/AUDIT.md), and the public key that verifies them (JWK and PEM):
 * the document `npm run audit:verify -- --checkpoints FILE|URL` reads. Keep copies where the database owner cannot write.
 */
export const GET = route({ access: 'admin' }, async ({ db }) => {
  const signer = getAuditSigner();
  const checkpoints = await listAuditCheckpoints(db.db);
  return json({ keyId: signer.keyId, publicKey: signer.publicJwk, publicKeyPem: signer.publicPem, checkpoints }, 200, {
    'Cache-Control': 'no-store',
  });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET });
