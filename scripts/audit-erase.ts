// `npm run audit:erase -- USER_ID`: crypto-shreds a user's personal data in the audit trail (GDPR Art. 17) by
// destroying their key; the entries and the chain stay, the erased fields read "erased". The erasure is audited.
// `-- --legal-hold REASON USER_ID` puts the user under legal hold (erasure is then refused), `--release-hold`
// lifts it. Exit 0: done. Exit 1: refused (legal hold). Exit 2: could not run (bad arguments, no database).
import { logToStderr } from '@otel';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { AuditLegalHoldError, appendAuditEntry, eraseAuditUserKey, setAuditLegalHold, type AuditInput } from '@audit';
import { getAuditCheckpointer, getAuditKeyring } from '../src/server/auth/audit-keys';
import { openDatabase } from '../src/server/db/connect';
import { describeDatabase, parseDatabaseUrl } from '../src/server/db/database-url';
import { inTransaction, afterCommit, type Tx } from '../src/server/db/transaction';

const USAGE = 'usage: npm run audit:erase -- [--legal-hold REASON | --release-hold] USER_ID';

class UsageError extends Error {}

function record(tx: Tx, input: Omit<AuditInput, 'ip' | 'userAgent'>) {
  return appendAuditEntry(tx, { ...input, ip: null, userAgent: null }, (callback) => afterCommit(tx, callback), {
    keyring: getAuditKeyring(),
    checkpointer: getAuditCheckpointer(),
  });
}

async function main(): Promise<number> {
  logToStderr();
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { 'legal-hold': { type: 'string' }, 'release-hold': { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [userId] = positionals;
  if (positionals.length !== 1 || !userId) throw new UsageError(USAGE);
  const hold = values['legal-hold'];
  if (hold !== undefined && (values['release-hold'] || !hold.trim())) throw new UsageError(USAGE);

  const config = parseDatabaseUrl(process.env.DATABASE_URL);
  const handle = openDatabase(config);
  try {
    process.stderr.write(`[audit:erase] ${describeDatabase(config)}\n`);
    const resource = `user:${userId}`;
    if (hold !== undefined || values['release-hold']) {
      const reason = hold?.trim() ?? null;
      await inTransaction(handle.db, async (tx) => {
        await setAuditLegalHold(tx, userId, reason);
        await record(
          tx,
          reason
            ? { action: 'legal_hold_set', resource, userId, details: { reason } }
            : { action: 'legal_hold_released', resource, userId },
        );
      });
      process.stdout.write(reason ? `legal hold set on user ${userId}: ${reason}\n` : `legal hold released on user ${userId}\n`);
      return 0;
    }
    // SQLite: overwrite freed content, so the destroyed key does not linger in the file's free pages.
    if (handle.dialect === 'sqlite') await sql`PRAGMA secure_delete = ON`.execute(handle.db);
    const result = await inTransaction(handle.db, async (tx) => {
      const erased = await eraseAuditUserKey(tx, userId);
      await record(tx, { action: 'personal_data_erased', resource, userId, details: { keyDestroyed: erased.keyDestroyed } });
      return erased;
    });
    process.stdout.write(
      result.keyDestroyed
        ? `erased: the audit key of user ${userId} is destroyed; their personal data in the trail now reads "erased"\n`
        : `erased: user ${userId} had no audit key; entries written for them from now on keep no personal data\n`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AuditLegalHoldError) {
      process.stderr.write(`audit:erase refused: ${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`audit:erase could not run: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
