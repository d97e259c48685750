import crypto from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/stack';
import type { LeastPrivilegeDatabase } from '../helpers/least-privilege';

/**
 * The app as it runs in production on PostgreSQL: as the role docs/AUDIT.md sets up, which may read and write rows
 * but run no DDL. Every table (the rate limiter's too) comes from the migrations the owner ran, so sign-up, login
 * and its limits, transfers, the audit trail and its signed checkpoints all work without one CREATE.
 */
describe('the app as the least-privilege PostgreSQL role of docs/AUDIT.md', () => {
  const stack = useStack({ dialect: 'postgres', leastPrivilege: true, env: { AUDIT_CHECKPOINT_EVERY: '5' } });

  it('has really no DDL: CREATE TABLE and DROP TABLE as the app role are refused', async () => {
    const client = new pg.Client({ connectionString: stack().database.url });
    await client.connect();
    try {
      await expect(client.query('CREATE TABLE IF NOT EXISTS rate_limits (key text)')).rejects.toThrow(/permission denied/);
      await expect(client.query('CREATE TABLE lp_probe (id int)')).rejects.toThrow(/permission denied/);
      await expect(client.query('DROP TABLE rate_limits')).rejects.toThrow(/must be owner/);
      expect((await client.query('SELECT current_user AS role')).rows[0].role).toBe((stack().database as LeastPrivilegeDatabase).roles.app);
    } finally {
      await client.end();
    }
  });

  it('registers, refuses a wrong password (401), counts it, and logs in', async () => {
    const user = await stack().signUp();
    const stranger = stack().client();
    const wrong = await stranger.login(user.email, 'not the password');
    expect(wrong.status, wrong.text).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const right = await stranger.login(user.email, user.password);
    expect(right.status, right.text).toBe(200);
    const counters = await stack()
      .db.db.selectFrom('rate_limits' as never)
      .select('key' as never)
      .execute();
    expect(counters.length).toBeGreaterThan(0);
  });

  it('answers 429 with Retry-After once the login limit is spent (the counters are written as the app role)', async () => {
    const user = await stack().signUp();
    const attacker = stack().client();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await attacker.login(user.email, `wrong ${i}`, { headers: { 'x-forwarded-for': '198.51.100.200' } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('moves money, changes a password, and lets an admin read the audit trail and its signed checkpoints', async () => {
    const alice = await stack().signIn('alice@drop.test');
    for (let i = 0; i < 3; i++) {
      const res = await alice.client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100 },
        { headers: { 'idempotency-key': crypto.randomUUID() } },
      );
      expect(res.status, res.text).toBe(201);
      const confirmed = await alice.client.post(`/api/transfers/${res.body.transfer.id}/confirm`, {});
      expect(confirmed.status, confirmed.text).toBe(200);
    }
    const user = await stack().signUp();
    const changed = await user.client.post('/api/auth/password', { currentPassword: user.password, newPassword: `${user.password}-new` });
    expect(changed.status, changed.text).toBe(204);

    const admin = (await stack().signIn('admin@drop.test')).client;
    const audit = await admin.get('/api/admin/audit?action=transfer_completed');
    expect(audit.status, audit.text).toBe(200);
    expect(audit.body.entries.length).toBeGreaterThanOrEqual(3);
    const verify = await admin.get('/api/admin/audit/verify');
    expect(verify.status, verify.text).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
    const checkpoints = await admin.get('/api/admin/audit/checkpoints');
    expect(checkpoints.status, checkpoints.text).toBe(200);
    expect(checkpoints.body.checkpoints.length).toBeGreaterThan(0);
  });

  it('served no 500 along the way', () => {
    const failures = stack()
      .app.logRecords()
      .filter((r) => Number(r['http.response.status_code']) >= 500 || r.level === 'error' || r.level === 50);
    expect(failures).toEqual([]);
  });
});
