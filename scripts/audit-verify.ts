// `npm run audit:verify`: walks the whole audit chain of DATABASE_URL in constant memory and checks every hash, every
// timestamp and every entry's MAC, with the key the app uses (AUDIT_MAC_KEY, or AUTH_SECRET; AUDIT_MAC_PREVIOUS_KEYS).
// Exit 0: intact. Exit 1: broken (the first broken entry is named; with OTEL_EXPORTER_OTLP_ENDPOINT also sent as an
// `audit.verify_failed` record, which the alert processor raises as audit_chain_broken). Exit 2: could not check (no
// database, no table).
// Entries still waiting in audit_pending (sequenced writes) are reported: their count and the oldest one's age; so are
// queued entries the sealer refused (audit_pending_refused: not made by the app), which are not in the chain.
// --json prints the status as one JSON line instead of the sentence.
// --checkpoints FILE|URL also proves the chain matches signed checkpoints held elsewhere (docs/AUDIT.md);
// --public-key FILE pins the key they must be signed with (default: the one the document names); repeat it to trust
// every key in use over a key rotation (each checkpoint names its key by keyId).
import { logToStderr } from '@otel';
import { withCommandTelemetry } from '@otel/command';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { logAuditVerifyFailed, verifyAgainstCheckpoints, verifyAuditChain, type ChainStatus, type CheckpointStatus } from '@audit';
import { getAuditMacKeys } from '../src/server/auth/audit-keys';
import { openDatabase } from '../src/server/db/connect';
import { describeDatabase, parseDatabaseUrl } from '../src/server/db/database-url';
import { readCheckpoints, readPublicKey } from './audit-checkpoints-source';

const PROGRESS_EVERY_MS = 1_000;

function progressReporter() {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let lastPrint = 0;
  return {
    update(checked: number, expected: number) {
      const now = performance.now();
      if (now - lastPrint < PROGRESS_EVERY_MS && checked < expected) return;
      lastPrint = now;
      const rate = Math.round(checked / Math.max((now - started) / 1000, 1e-3));
      const pct = expected > 0 ? Math.floor((checked / expected) * 100) : 100;
      const line = `[audit:verify] ${checked.toLocaleString('en')} / ${expected.toLocaleString('en')} entries (${pct}%), ${rate.toLocaleString('en')}/s`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

function summary(status: ChainStatus): string {
  const seconds = status.durationMs / 1000;
  const rate = Math.round(status.entries / Math.max(seconds, 1e-3)).toLocaleString('en');
  if (status.ok) {
    return `audit chain intact: ${status.entries.toLocaleString('en')} entries, newest #${status.lastId} ${status.lastHash} (${seconds.toFixed(1)} s, ${rate} entries/s)`;
  }
  const broken = status.firstBroken!;
  return `audit chain BROKEN at entry ${broken.id}: ${broken.message} (${broken.reason}); the ${status.entries.toLocaleString('en')} entries before it are intact`;
}

function pendingSummary(status: ChainStatus): string[] {
  const { count, oldestAgeMs, refused } = status.pending;
  const lines: string[] = [];
  if (count > 0) {
    lines.push(
      `audit entries pending: ${count.toLocaleString('en')} committed but not yet sealed into the chain (not tamper-evident yet), the oldest ${((oldestAgeMs ?? 0) / 1000).toFixed(1)} s old`,
    );
  }
  if (refused > 0) {
    lines.push(
      `audit entries refused: ${refused.toLocaleString('en')} queued entries the app did not make (or copies of sealed ones) were not chained; investigate them in audit_pending_refused`,
    );
  }
  return lines;
}

function checkpointSummary(status: CheckpointStatus, total: number): string {
  if (status.ok) return `checkpoints match: ${status.matched} of ${total} signed checkpoints, newest #${status.newestMatched}`;
  const mismatch = status.firstMismatch!;
  return `checkpoints DO NOT MATCH at checkpoint ${mismatch.treeSize}: ${mismatch.message} (${mismatch.reason}); ${status.matched} checkpoints before it match`;
}

async function main(): Promise<number> {
  logToStderr();
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      checkpoints: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
    },
  });
  const source = values.checkpoints ? await readCheckpoints(values.checkpoints) : undefined;
  const pinned = (values['public-key'] ?? []).map((file) => readPublicKey(fs.readFileSync(file, 'utf8')));
  const trustedKeys = pinned.length > 0 ? pinned : source?.publicKey ? [source.publicKey] : [];
  if (source && trustedKeys.length === 0) throw new Error('the checkpoints name no public key: give one with --public-key FILE');

  const config = parseDatabaseUrl(process.env.DATABASE_URL);
  const handle = openDatabase(config);
  try {
    process.stderr.write(`[audit:verify] ${describeDatabase(config)}\n`);
    const progress = progressReporter();
    const status = await verifyAuditChain(handle, { onProgress: progress.update, macKeys: getAuditMacKeys() });
    progress.done();
    // With OTEL_EXPORTER_OTLP_ENDPOINT, a broken chain also reaches the alert processor (audit_chain_broken).
    const broken = status.firstBroken;
    if (broken) await withCommandTelemetry('drop', (logger) => logAuditVerifyFailed(logger, broken, 'npm run audit:verify'));
    const checkpoints = source ? await verifyAgainstCheckpoints(handle.db, source.checkpoints, trustedKeys) : undefined;
    if (values.json) {
      process.stdout.write(`${JSON.stringify(checkpoints ? { ...status, checkpoints } : status)}\n`);
    } else {
      process.stdout.write(`${summary(status)}\n`);
      for (const line of pendingSummary(status)) process.stdout.write(`${line}\n`);
      if (checkpoints && source) process.stdout.write(`${checkpointSummary(checkpoints, source.checkpoints.length)}\n`);
    }
    return status.ok && (checkpoints?.ok ?? true) ? 0 : 1;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`audit:verify could not check the chain: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
