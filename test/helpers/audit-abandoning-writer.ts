// A writer process that dies between commit and seal: it queues one sequenced audit entry (AUDIT_WRITE_MODE=
// sequenced) in its own transaction against DATABASE_URL, and once that has committed prints COMMITTED and waits,
// never sealing, for the test to SIGKILL it. Its entries carry the test servers' MAC, as an app process's do.
import { appendSequencedAuditEntry, auditSequencer } from '@audit';
import { openDatabase } from '../../src/server/db/connect';
import { parseDatabaseUrl } from '../../src/server/db/database-url';
import { TEST_AUDIT_MAC_KEYS } from './app-server';

async function main() {
  const handle = openDatabase(parseDatabaseUrl(process.env.DATABASE_URL));
  const sequencer = auditSequencer(handle.db, { macKeys: TEST_AUDIT_MAC_KEYS });
  await handle.db
    .transaction()
    .execute((tx) =>
      appendSequencedAuditEntry(
        tx,
        { action: 'transfer_initiated', resource: 'transfer:abandoned', userId: null, ip: null, userAgent: null },
        () => undefined,
        { sequencer, macKeys: TEST_AUDIT_MAC_KEYS },
      ),
    );
  process.stdout.write('COMMITTED\n');
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
