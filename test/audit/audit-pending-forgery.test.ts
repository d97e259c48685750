import SQLite from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AUDIT_PENDING_REFUSED_EVENT } from '@audit';
import { runAuditScript } from '../helpers/audit-cli';
import type { DialectName } from '../helpers/databases';
import type { LeastPrivilegeDatabase } from '../helpers/least-privilege';
import { useStack } from '../helpers/stack';

/**
 * AUDIT_WRITE_MODE=sequenced: whoever can write the database with the app's rights (on PostgreSQL the least-privilege
 * role of docs/AUDIT.md itself, on SQLite a plain connection to the file) queues an entry by SQL. The sealer must not
 * chain it: it is moved to audit_pending_refused, the chain verifies, and the operator gets an error record over OTLP.
 */
async function queueForgedEntry(dialect: DialectName, url: string, resource: string): Promise<void> {
  // Dated a minute ago, as an entry a crashed process left behind: the next sealing run of any process takes it.
  const values = ['crashed-process', Date.now() - 60_000, 'transfer_completed', resource, 'success', '{"amountCents":100000}'];
  const statement = (placeholders: string[]) =>
    `INSERT INTO audit_pending (sealer, "timestamp", action, resource, outcome, details) VALUES (${placeholders.join(', ')})`;
  if (dialect === 'sqlite') {
    const file = new SQLite(url.slice('file:'.length));
    try {
      file.prepare(statement(values.map(() => '?'))).run(...values);
    } finally {
      file.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement(values.map((_, i) => `$${i + 1}`)), values);
  } finally {
    await client.end();
  }
}

describe.each<DialectName>(['sqlite', 'postgres'])('a queued audit entry forged by SQL with the app’s rights, on %s', (dialect) => {
  const stack = useStack({
    dialect,
    leastPrivilege: dialect === 'postgres',
    otlp: { logs: true },
    env: { AUDIT_WRITE_MODE: 'sequenced' },
  });

  it('is not chained, is kept aside, the chain verifies, and the operator sees why', { timeout: 120_000 }, async () => {
    if (dialect === 'postgres') {
      // The attacker's rights are the app's: the URL is the least-privilege role's.
      expect((stack().database as LeastPrivilegeDatabase).roles.app).toBe(new URL(stack().database.url).username);
    }
    const resource = `transfer:forged-${dialect}`;
    await queueForgedEntry(dialect, stack().database.url, resource);

    // A genuine sequenced write: its sealing run meets the forged entry.
    const alice = await stack().signIn('alice@drop.test');
    expect(alice.userId).toBeTruthy();

    const db = stack().db.db;
    await expect
      .poll(() => db.selectFrom('audit_pending_refused').select(['resource', 'problem']).execute(), { timeout: 20_000 })
      .toEqual([{ resource, problem: 'missing' }]);
    expect(await db.selectFrom('audit_pending').select('seq').execute()).toEqual([]);
    expect(await db.selectFrom('audit_log').select('id').where('resource', '=', resource).execute()).toEqual([]);
    expect(await db.selectFrom('audit_log').select('id').where('action', '=', 'login_success').execute()).not.toEqual([]);

    // The operator: an error record over OTLP (code and message, not the row) and the same line on stdout.
    const record = await stack().otlp.waitFor(
      () =>
        stack().otlp.logs.find(
          (r) => r.eventName === AUDIT_PENDING_REFUSED_EVENT || r.attributes['event.name'] === AUDIT_PENDING_REFUSED_EVENT,
        ),
      20_000,
      `the ${AUDIT_PENDING_REFUSED_EVENT} record`,
    );
    expect(record.severityText).toBe('error');
    expect(record.attributes).toMatchObject({ 'audit.entry.problem': 'missing' });
    expect(String(record.body)).toMatch(/queued audit entry \d+ refused: it has no MAC: it was not queued by the app \(missing\)/);
    expect(String(record.body)).not.toContain('100000');
    const line = await stack().app.waitForLog(new RegExp(`"${AUDIT_PENDING_REFUSED_EVENT.replace('.', '\\.')}"`), 5_000);
    expect(JSON.parse(line.line)).toMatchObject({ level: 'error', 'audit.entry.problem': 'missing' });

    // The trail is intact; verify says what was refused, as the CLI and the admin API.
    const cli = await runAuditScript('audit-verify.ts', stack().database.url);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^audit chain intact: /m);
    expect(cli.stdout).toMatch(/^audit entries refused: 1 queued entries the app did not make .* audit_pending_refused$/m);
    const admin = (await stack().signIn('admin@drop.test')).client;
    const verified = await admin.get('/api/admin/audit/verify');
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, pending: { count: 0, refused: 1 } });
  });
});
