// `npm run audit:erase -- USER_ID`: crypto-shreds a user's personal data in the audit trail (GDPR Art. 17) by
// destroying their key; the entries and the chain stay, the erased fields read "erased". The erasure is audited.
// `-- --legal-hold REASON USER_ID` puts the user under legal hold (erasure is then refused), `--release-hold`
// lifts it. The user's personal data outside the trail is cleared in the same transaction (name, email, password,
// sessions with their IP and user agent). Every copy the database keeps goes too: on SQLite freed content is
// overwritten (secure_delete) and the WAL is checkpointed into the file and truncated; on PostgreSQL the changed
// tables are rewritten (VACUUM FULL, as the owner: DATABASE_OWNER_URL, else DATABASE_URL) and checkpointed.
// Exit 0: done. Exit 1: refused (legal hold). Exit 2: could not run (bad arguments, no database). Exit 3: erased, but
// an old copy is still in the database's files (the SQLite WAL was busy, or PostgreSQL's tables could not be
// rewritten): the message says why; run it again.
import { logToStderr } from '@otel';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { AuditLegalHoldError, appendAuditEntry, eraseAuditUserKey, setAuditLegalHold, type AuditInput } from '@audit';
import { getAuditCheckpointer, getAuditKeyring, getAuditMacKeys } from '../src/server/auth/audit-keys';
import { openDatabase } from '../src/server/db/connect';
import { describeDatabase, parseDatabaseUrl } from '../src/server/db/database-url';
import { emptySqliteWal, rewritePostgresTables } from '../src/server/db/erased-copies';
import { inTransaction, afterCommit, type Tx } from '../src/server/db/transaction';
import { erasePersonalData } from '../src/server/domain/erasure';

const USAGE = 'usage: npm run audit:erase -- [--legal-hold REASON | --release-hold] USER_ID';

class UsageError extends Error {}

function record(tx: Tx, input: Omit<AuditInput, 'ip' | 'userAgent'>) {
  return appendAuditEntry(tx, { ...input, ip: null, userAgent: null }, (callback) => afterCommit(tx, callback), {
    keyring: getAuditKeyring(),
    checkpointer: getAuditCheckpointer(),
    macKeys: getAuditMacKeys(),
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
      const outside = await erasePersonalData(tx, userId);
      await record(tx, {
        action: 'personal_data_erased',
        resource,
        userId,
        details: { keyDestroyed: erased.keyDestroyed, userCleared: outside.userFound, sessionsDeleted: outside.sessionsDeleted },
      });
      return { ...erased, ...outside };
    });
    const copies =
      config.dialect === 'sqlite'
        ? await emptySqliteWal(handle.db)
        : await rewritePostgresTables(process.env.DATABASE_OWNER_URL?.trim() || config.connectionString);
    process.stdout.write(
      result.keyDestroyed
        ? `erased: the audit key of user ${userId} is destroyed; their personal data in the trail now reads "erased"\n`
        : `erased: user ${userId} had no audit key; entries written for them from now on keep no personal data\n`,
    );
    process.stdout.write(
      result.userFound
        ? `erased: name, email and password of user ${userId} replaced; ${result.sessionsDeleted} session(s) deleted with their IP addresses and user agents\n`
        : `erased: no user row ${userId} (already deleted); ${result.sessionsDeleted} session(s) deleted\n`,
    );
    if (!copies.removed) {
      process.stderr.write(`audit:erase: erased, but ${copies.reason}; run audit:erase again for this user\n`);
      return 3;
    }
    if (copies.note) process.stderr.write(`audit:erase: ${copies.note}\n`);
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
