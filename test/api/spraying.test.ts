import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ADDRESS_WINDOW_SECONDS } from '../../src/server/auth/address-budget';
import { parseServerConfig } from '../../src/server/config';
import { DIALECTS } from '../helpers/databases';
import type { ApiResponse } from '../helpers/http-client';
import { uniqueEmail, useStack, type Stack } from '../helpers/stack';

/** The defaults (20 failed logins, 60 hashes per address and 15 minutes): these servers run without the test override. */
const { loginFailuresPerAddress: BUDGET, passwordHashesPerAddress: MAX_PASSWORD_HASHES_PER_ADDRESS } = parseServerConfig({}).config;
const DEFAULT_BUDGETS = { LOGIN_FAILURES_PER_ADDRESS: undefined, PASSWORD_HASHES_PER_ADDRESS: undefined };

const tally = (responses: ApiResponse[]) => responses.map((r) => r.status);

function expectRefused(res: ApiResponse): void {
  expect(res.status, res.text).toBe(429);
  expect(res.body).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
  const wait = Number(res.headers.get('retry-after'));
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(ADDRESS_WINDOW_SECONDS);
}

async function lastAuditId(stack: Stack): Promise<number> {
  const row = await stack.db.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

async function loginFailureReasons(stack: Stack, afterId: number): Promise<Record<string, number>> {
  const rows = await stack.db.db
    .selectFrom('audit_log')
    .select(['details', 'outcome'])
    .where('id', '>', afterId)
    .where('action', '=', 'login_failure')
    .execute();
  const counts: Record<string, number> = {};
  for (const row of rows) {
    expect(row.outcome).toBe('failure');
    const reason = String((JSON.parse(row.details) as { reason?: string }).reason);
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

async function hashCount(stack: Stack, address: string): Promise<number> {
  const row = await sql<{ points: number }>`select points from rate_limits where key = ${`password_hash_ip:${address}`}`.execute(
    stack.db.db,
  );
  return Number(row.rows[0]?.points ?? 0);
}

/**
 * Password spraying from one address: a few guesses at many accounts, and guesses at emails that are no account
 * (each still costs an argon2 hash). The address has a budget of failed logins across emails and of hash work,
 * kept in the database on both dialects; past it every login is a 429 with Retry-After, audited; other addresses
 * are not affected.
 */
describe.each(DIALECTS)('password spraying from one address on %s', (dialect) => {
  const fixture = useStack({ dialect, env: DEFAULT_BUDGETS });

  it(
    `refuses after ${BUDGET} failures across accounts and unknown emails: 30 wrong over 6 accounts, 40 unknown`,
    { timeout: 120_000 },
    async () => {
      const victims = [];
      for (let i = 0; i < 6; i++) victims.push(await fixture().signUp());
      const attacker = fixture().client();
      await attacker.fetchCsrfToken();
      const from = { headers: { 'x-forwarded-for': '203.0.113.50' } };
      const before = await lastAuditId(fixture());

      const answers: ApiResponse[] = [];
      for (const victim of victims) {
        // Five each: within every per-account limit.
        for (let i = 0; i < 5; i++) answers.push(await attacker.login(victim.email, `guess ${i}`, from));
      }
      for (let i = 0; i < 40; i++) answers.push(await attacker.login(uniqueEmail('nobody'), 'guess', from));

      expect(tally(answers)).toEqual([...Array<number>(BUDGET).fill(401), ...Array<number>(70 - BUDGET).fill(429)]);
      for (const res of answers.slice(BUDGET)) expectRefused(res);
      // Even the right password is refused from that address until the window passes…
      expectRefused(await attacker.login(victims[5]!.email, victims[5]!.password, from));
      // …while from any other address the accounts work as usual.
      for (const victim of [victims[0]!, victims[5]!]) {
        const res = await fixture()
          .client()
          .login(victim.email, victim.password, { headers: { 'x-forwarded-for': '203.0.113.51' } });
        expect(res.status, res.text).toBe(200);
      }

      // Audited: every attempt a failure with its reason; the refused ones as rate_limited.
      expect(await loginFailureReasons(fixture(), before)).toEqual({ wrong_password: BUDGET, rate_limited: 70 - BUDGET + 1 });
      // Only checked passwords cost a hash; refused attempts cost none.
      expect(await hashCount(fixture(), '203.0.113.50')).toBe(BUDGET);
    },
  );

  it('counts password-hash work per address, successful logins and unknown emails included, and refuses past it', async () => {
    const user = await fixture().signUp();
    const address = '203.0.113.60';
    const client = fixture().client();
    const from = { headers: { 'x-forwarded-for': address } };
    for (let i = 0; i < 3; i++) expect((await client.login(uniqueEmail('nobody'), 'guess', from)).status).toBe(401);
    expect((await client.login(user.email, user.password, from)).status).toBe(200);
    expect(await hashCount(fixture(), address)).toBe(4);

    // The rest of the budget spent (as by many logins from behind one address), then one more login.
    await sql`update rate_limits set points = ${MAX_PASSWORD_HASHES_PER_ADDRESS} where key = ${`password_hash_ip:${address}`}`.execute(
      fixture().db.db,
    );
    expectRefused(await client.login(user.email, user.password, from));
    const registration = await client.post('/api/auth/register', { email: uniqueEmail(), password: 'a long password', name: 'N' }, from);
    expectRefused(registration);
    expect(await hashCount(fixture(), address)).toBe(MAX_PASSWORD_HASHES_PER_ADDRESS);
  });
});

/** The budget is the client's address as the configured proxies saw it: a header the client writes cannot reset it. */
describe('a hostile X-Forwarded-For cannot dodge the address budget', () => {
  const random = () => `198.19.${crypto.randomInt(256)}.${crypto.randomInt(256)}`;

  describe('with no trusted proxy (TRUSTED_PROXY_COUNT=0): the TCP peer address counts, the header is ignored', () => {
    const fixture = useStack({ dialect: 'sqlite', env: { ...DEFAULT_BUDGETS, TRUSTED_PROXY_COUNT: '0' } });

    it(`refuses every failure after the first ${BUDGET} though each request claims a new address`, { timeout: 60_000 }, async () => {
      const attacker = fixture().client();
      const answers: ApiResponse[] = [];
      for (let i = 0; i < BUDGET + 5; i++) {
        answers.push(await attacker.login(uniqueEmail('nobody'), 'guess', { headers: { 'x-forwarded-for': random() } }));
      }
      expect(tally(answers)).toEqual([...Array<number>(BUDGET).fill(401), ...Array<number>(5).fill(429)]);
      expect(await hashCount(fixture(), '127.0.0.1')).toBe(BUDGET);
    });
  });

  describe('behind one trusted proxy (TRUSTED_PROXY_COUNT=1): only the entry the proxy appended counts', () => {
    const fixture = useStack({ dialect: 'sqlite', env: { ...DEFAULT_BUDGETS, TRUSTED_PROXY_COUNT: '1' } });

    it('refuses past the budget though the client prepends a new address to each request', { timeout: 60_000 }, async () => {
      const attacker = fixture().client();
      const answers: ApiResponse[] = [];
      for (let i = 0; i < BUDGET + 5; i++) {
        // What the client sent, then what the proxy appended: the address it saw.
        const header = `${random()}, ${random()}, 203.0.113.70`;
        answers.push(await attacker.login(uniqueEmail('nobody'), 'guess', { headers: { 'x-forwarded-for': header } }));
      }
      expect(tally(answers)).toEqual([...Array<number>(BUDGET).fill(401), ...Array<number>(5).fill(429)]);
      expect(await hashCount(fixture(), '203.0.113.70')).toBe(BUDGET);
    });
  });
});
