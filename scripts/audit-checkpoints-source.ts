// Reads the checkpoints `audit:verify --checkpoints` checks the chain against: a file or an http(s) URL holding
// GET /api/admin/audit/checkpoints' document, or ndjson lines (checkpoints, or the app's `audit.checkpoint` log records).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import type { AuditCheckpoint } from '@audit';

const checkpoint = z.object({
  treeSize: z.number().int().positive(),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  timestamp: z.string(),
  keyId: z.string().min(1),
  signature: z.string().min(1),
});

const document = z.object({
  publicKey: z.record(z.string(), z.unknown()).optional(),
  publicKeyPem: z.string().optional(),
  checkpoints: z.array(checkpoint),
});

const logRecord = z
  .object({
    'audit.checkpoint.tree_size': z.number(),
    'audit.checkpoint.head_hash': z.string(),
    'audit.checkpoint.timestamp': z.string(),
    'audit.checkpoint.key_id': z.string(),
    'audit.checkpoint.signature': z.string(),
  })
  .transform((r) => ({
    treeSize: r['audit.checkpoint.tree_size'],
    headHash: r['audit.checkpoint.head_hash'],
    timestamp: r['audit.checkpoint.timestamp'],
    keyId: r['audit.checkpoint.key_id'],
    signature: r['audit.checkpoint.signature'],
  }))
  .pipe(checkpoint);

export interface CheckpointSource {
  checkpoints: AuditCheckpoint[];
  /** The public key the document names, if it names one (--public-key overrides it). */
  publicKey?: crypto.JsonWebKey;
}

async function readText(location: string): Promise<string> {
  if (/^https?:\/\//.test(location)) {
    const response = await fetch(location, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`${location} answered ${response.status}`);
    return response.text();
  }
  return fs.readFileSync(location, 'utf8');
}

export async function readCheckpoints(location: string): Promise<CheckpointSource> {
  const text = (await readText(location)).trim();
  if (text.startsWith('{') && !text.includes('\n{')) {
    const parsed = document.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${location} is not a checkpoints document: ${parsed.error.issues[0]?.message}`);
    const { publicKey, publicKeyPem, checkpoints } = parsed.data;
    const key = publicKey ? (publicKey as crypto.JsonWebKey) : publicKeyPem ? readPublicKey(publicKeyPem) : undefined;
    return { checkpoints, publicKey: key };
  }
  const checkpoints: AuditCheckpoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const value: unknown = JSON.parse(line);
    const parsed = checkpoint.safeParse(value);
    const fromLog = parsed.success ? parsed : logRecord.safeParse(value);
    if (fromLog.success) checkpoints.push(fromLog.data);
  }
  if (checkpoints.length === 0) throw new Error(`${location} holds no checkpoints`);
  return { checkpoints };
}

/** A public key as PEM (SPKI) or JWK JSON text, as a JWK. */
export function readPublicKey(text: string): crypto.JsonWebKey {
  const trimmed = text.trim();
  const key = trimmed.startsWith('{')
    ? crypto.createPublicKey({ key: JSON.parse(trimmed) as crypto.JsonWebKey, format: 'jwk' })
    : crypto.createPublicKey(trimmed);
  return key.export({ format: 'jwk' });
}
