import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { serverConfig } from '../config';

const MIN_SECRET_LENGTH = 32;
let cached: Uint8Array | undefined;

export class AuthSecretError extends Error {}

/**
 * AUTH_SECRET signs session JWTs and CSRF tokens. Production requires it; in development a random one
 * is generated once and kept in ./data/.auth-secret so sessions survive restarts.
 */
export function getAuthSecret(): Uint8Array {
  if (cached) return cached;
  const fromEnv = process.env.AUTH_SECRET;
  if (fromEnv) {
    if (fromEnv.length < MIN_SECRET_LENGTH) {
      throw new AuthSecretError(`AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    cached = new TextEncoder().encode(fromEnv);
    return cached;
  }
  if (serverConfig().production) throw new AuthSecretError('AUTH_SECRET is required in production (32+ random characters)');
  cached = new TextEncoder().encode(readOrCreateDevSecret());
  return cached;
}

function readOrCreateDevSecret(): string {
  const file = path.resolve(/*turbopackIgnore: true*/ process.env.AUTH_SECRET_FILE ?? './data/.auth-secret');
  try {
    const existing = fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8').trim();
    if (existing.length >= MIN_SECRET_LENGTH) return existing;
  } catch {
    // not created yet
  }
  fs.mkdirSync(/*turbopackIgnore: true*/ path.dirname(file), { recursive: true });
  const secret = crypto.randomBytes(48).toString('base64url');
  try {
    fs.writeFileSync(/*turbopackIgnore: true*/ file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    // Another process created it first: use theirs.
    return fs.readFileSync(/*turbopackIgnore: true*/ file, 'utf8').trim();
  }
}

const derivedKeys = new Map<string, Buffer>();

/** A key for one purpose, derived from AUTH_SECRET (once per process), so no two uses share key material. */
export function deriveKey(purpose: string): Buffer {
  let key = derivedKeys.get(purpose);
  if (!key) {
    key = Buffer.from(crypto.hkdfSync('sha256', getAuthSecret(), Buffer.alloc(0), `drop:${purpose}`, 32));
    derivedKeys.set(purpose, key);
  }
  return key;
}
