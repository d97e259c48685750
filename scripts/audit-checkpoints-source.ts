// Reads the checkpoints `audit:verify --checkpoints` checks the chain against: a file or an http(s) URL holding
// GET /api/admin/audit/checkpoints' document, or ndjson lines (checkpoints, the app's `audit.checkpoint` log lines, or
// the collector's OTLP/JSON logs exports).
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

/** An OTLP/JSON AnyValue (what the collector's file exporter writes) as a plain value: int64 comes as a string. */
function otlpValue(value: unknown): unknown {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return v.boolValue;
  return undefined;
}

/** The flat attributes of every log record in an OTLP/JSON logs export (`{"resourceLogs":[…]}`). */
function otlpLogRecords(exported: { resourceLogs?: unknown }): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  const resourceLogs = Array.isArray(exported.resourceLogs) ? exported.resourceLogs : [];
  for (const resource of resourceLogs as { scopeLogs?: { logRecords?: { attributes?: { key: string; value: unknown }[] }[] }[] }[]) {
    for (const scope of resource.scopeLogs ?? []) {
      for (const record of scope.logRecords ?? []) {
        const flat: Record<string, unknown> = {};
        for (const attribute of record.attributes ?? []) flat[attribute.key] = otlpValue(attribute.value);
        records.push(flat);
      }
    }
  }
  return records;
}

/** The checkpoints one JSON value holds: a checkpoint, a pino `audit.checkpoint` line, or an OTLP/JSON logs export. */
function checkpointsIn(value: unknown): AuditCheckpoint[] {
  if (value && typeof value === 'object' && 'resourceLogs' in value) {
    return otlpLogRecords(value).flatMap((record) => {
      const parsed = logRecord.safeParse(record);
      return parsed.success ? [parsed.data] : [];
    });
  }
  const parsed = checkpoint.safeParse(value);
  const fromLog = parsed.success ? parsed : logRecord.safeParse(value);
  return fromLog.success ? [fromLog.data] : [];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads checkpoints from a file or URL holding GET /api/admin/audit/checkpoints' document, or ndjson lines (one
 * line too): checkpoints, the app's `audit.checkpoint` log lines (stdout), or OTLP/JSON logs exports (the
 * collector's file exporter, one export per line). No checkpoint at all is an error: there would be nothing to prove.
 */
export async function readCheckpoints(location: string): Promise<CheckpointSource> {
  const text = (await readText(location)).trim();
  const whole = parseJson(text);
  if (whole && typeof whole === 'object' && 'checkpoints' in whole) {
    const parsed = document.safeParse(whole);
    if (!parsed.success) throw new Error(`${location} is not a checkpoints document: ${parsed.error.issues[0]?.message}`);
    const { publicKey, publicKeyPem, checkpoints } = parsed.data;
    if (checkpoints.length === 0) throw new Error(`${location} holds no checkpoints`);
    const key = publicKey ? (publicKey as crypto.JsonWebKey) : publicKeyPem ? readPublicKey(publicKeyPem) : undefined;
    return { checkpoints, publicKey: key };
  }
  const checkpoints: AuditCheckpoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    checkpoints.push(...checkpointsIn(parseJson(line)));
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
