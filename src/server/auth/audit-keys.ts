import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  auditCheckpointer,
  auditMacKeys,
  auditSigner,
  generateAuditSigningKeyPem,
  type AuditCheckpointer,
  type AuditKeyring,
  type AuditMacKeys,
  type AuditSigner,
} from '@audit';
import { serverConfig } from '../config';
import { deriveKey, getAuthSecret } from './secret';

export class AuditKeyError extends Error {}

const MIN_MASTER_SECRET_LENGTH = 32;

function readOrCreateDevKey(file: string): string {
  try {
    return fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8');
  } catch {
    // not created yet
  }
  fs.mkdirSync(/*turbopackIgnore: true*/ path.dirname(file), { recursive: true });
  const pem = generateAuditSigningKeyPem();
  try {
    fs.writeFileSync(/*turbopackIgnore: true*/ file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch {
    // Another process created it first: use theirs.
    return fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8');
  }
}

let signer: AuditSigner | undefined;

/**
 * The Ed25519 key that signs audit checkpoints: AUDIT_SIGNING_KEY (PKCS#8 PEM), or the PEM file named by
 * AUDIT_SIGNING_KEY_FILE. Production requires one of them; in development a key is generated once into
 * ./data/.audit-signing-key.pem, like AUTH_SECRET.
 */
export function getAuditSigner(): AuditSigner {
  if (signer) return signer;
  const fromEnv = process.env.AUDIT_SIGNING_KEY;
  const file = process.env.AUDIT_SIGNING_KEY_FILE;
  let pem: string;
  let source: string;
  if (fromEnv) {
    pem = fromEnv.replaceAll('\\n', '\n');
    source = 'AUDIT_SIGNING_KEY';
  } else if (file && serverConfig().production) {
    source = `AUDIT_SIGNING_KEY_FILE (${file})`;
    try {
      pem = fs.readFileSync(/*turbopackIgnore: true*/ path.resolve(/*turbopackIgnore: true*/ file), 'utf8');
    } catch (error) {
      throw new AuditKeyError(`${source} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else if (serverConfig().production) {
    throw new AuditKeyError('AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE is required in production (an Ed25519 PEM key)');
  } else {
    const devFile = path.resolve(/*turbopackIgnore: true*/ file ?? './data/.audit-signing-key.pem');
    source = file ? `AUDIT_SIGNING_KEY_FILE (${file})` : `the development key ${devFile}`;
    pem = readOrCreateDevKey(devFile);
  }
  try {
    signer = auditSigner(pem);
  } catch (error) {
    throw new AuditKeyError(`the audit signing key in ${source} is not usable: ${(error as Error).message}`);
  }
  return signer;
}

let keyring: AuditKeyring | undefined;

/**
 * The master key that wraps every user's audit data key: from AUDIT_ENCRYPTION_KEY (32+ characters) when set,
 * otherwise derived from AUTH_SECRET. Changing it (or AUTH_SECRET without it) makes existing personal data unreadable.
 */
export function getAuditKeyring(): AuditKeyring {
  if (keyring) return keyring;
  const secret = process.env.AUDIT_ENCRYPTION_KEY;
  if (secret !== undefined && secret !== '') {
    if (secret.length < MIN_MASTER_SECRET_LENGTH)
      throw new AuditKeyError(`AUDIT_ENCRYPTION_KEY must be at least ${MIN_MASTER_SECRET_LENGTH} characters`);
    keyring = { masterKey: Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'drop:audit-master-key', 32)) };
  } else {
    keyring = { masterKey: deriveKey('audit-master-key') };
  }
  return keyring;
}

let macKeys: AuditMacKeys | undefined;

function macSecret(name: string, value: string): string {
  if (value.length < MIN_MASTER_SECRET_LENGTH) throw new AuditKeyError(`${name} must be at least ${MIN_MASTER_SECRET_LENGTH} characters`);
  return value;
}

/**
 * The keys that authenticate audit entries (a MAC each), derived from a secret the database never holds:
 * AUDIT_MAC_KEY (32+ characters) when set, otherwise AUTH_SECRET. AUDIT_MAC_PREVIOUS_KEYS (comma-separated) are
 * earlier secrets, still accepted when verifying after a rotation; AUDIT_MAC_LEGACY_UNTIL the last entry written
 * before entries carried a MAC.
 */
export function getAuditMacKeys(): AuditMacKeys {
  if (macKeys) return macKeys;
  const current = process.env.AUDIT_MAC_KEY ? macSecret('AUDIT_MAC_KEY', process.env.AUDIT_MAC_KEY) : getAuthSecret();
  const previous = (process.env.AUDIT_MAC_PREVIOUS_KEYS ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean)
    .map((secret) => macSecret('each of AUDIT_MAC_PREVIOUS_KEYS', secret));
  macKeys = auditMacKeys(current, previous, serverConfig().auditMacLegacyUntil);
  return macKeys;
}

let checkpointer: AuditCheckpointer | undefined;

/**
 * Checkpoints every AUDIT_CHECKPOINT_EVERY entries (default 1000) or AUDIT_CHECKPOINT_SECONDS (default 300), each
 * only after the entries it covers are checked, their MACs included.
 */
export function getAuditCheckpointer(): AuditCheckpointer {
  checkpointer ??= auditCheckpointer({
    signer: getAuditSigner(),
    everyEntries: serverConfig().auditCheckpointEvery,
    everyMs: serverConfig().auditCheckpointMs,
    macKeys: getAuditMacKeys(),
  });
  return checkpointer;
}
