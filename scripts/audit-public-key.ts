// `npm run audit:public-key`: prints the public half of the configured audit signing key (AUDIT_SIGNING_KEY or
// AUDIT_SIGNING_KEY_FILE, as the app reads it): its key id (the JWK thumbprint checkpoints name), the PEM and the
// JWK, to publish for auditors and to pin with `audit:verify --public-key`. --json prints { keyId, publicKeyPem,
// publicKey } as one line. Exit 0: printed. Exit 2: no usable key.
import { logToStderr } from '@otel';
import { parseArgs } from 'node:util';
import { getAuditSigner } from '../src/server/auth/audit-keys';

function main(): number {
  logToStderr();
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const signer = getAuditSigner();
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ keyId: signer.keyId, publicKeyPem: signer.publicPem, publicKey: signer.publicJwk })}\n`);
  } else {
    process.stdout.write(`key id: ${signer.keyId}\n\n${signer.publicPem.trimEnd()}\n\n${JSON.stringify(signer.publicJwk)}\n`);
  }
  return 0;
}

try {
  process.exit(main());
} catch (error) {
  process.stderr.write(`audit:public-key could not read the signing key: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
