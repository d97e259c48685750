import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { DEMO_PASSWORD, TEST_AUDIT_SIGNING_KEY, TEST_AUTH_SECRET, type AppServer } from '../helpers/app-server';
import { runAuditScript } from '../helpers/audit-cli';
import { DIALECTS } from '../helpers/databases';
import { HttpClient as TestClient, newTraceparent } from '../helpers/http-client';
import { useStack } from '../helpers/stack';
import { watchedPage, type WatchedPage } from '../helpers/watched-page';

/** Stands in for Jaeger's UI: the page the request id links to. */
async function startTraceViewer() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<html><body><h1 id="trace">${(req.url ?? '').replace(/[^a-z0-9/]/gi, '')}</h1></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.each(DIALECTS)('the /admin/audit page in Chromium on %s', (dialect) => {
  let viewer: Awaited<ReturnType<typeof startTraceViewer>>;
  // Before the stack's own beforeAll: the app's TRACE_URL_TEMPLATE points at the viewer.
  beforeAll(async () => {
    viewer = await startTraceViewer();
  });
  afterAll(async () => viewer?.close());
  // Traces exported (to a local receiver), so every request has a trace id, as in production.
  const stack = useStack({ dialect, otlp: { traces: true }, env: () => ({ TRACE_URL_TEMPLATE: `${viewer.url}/trace/{traceId}` }) });
  let app: AppServer;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  let failedLoginTraceId: string;

  beforeAll(async () => {
    ({ app } = stack());
    // Some history: sign-ins, failures, a transfer.
    for (const email of ['alice@drop.test', 'bob@drop.test']) {
      const client = new TestClient(app.url);
      expect((await client.login(email, DEMO_PASSWORD)).status).toBe(200);
      expect(
        (
          await client.post(
            '/api/transfers',
            { toEmail: email === 'alice@drop.test' ? 'bob@drop.test' : 'alice@drop.test', amountCents: 100 },
            { headers: { 'idempotency-key': crypto.randomUUID() } },
          )
        ).status,
      ).toBe(201);
    }
    const { traceparent, traceId } = newTraceparent();
    failedLoginTraceId = traceId;
    expect((await new TestClient(app.url).login('alice@drop.test', 'wrong-password', { headers: { traceparent } })).status).toBe(401);
    browser = await launchChromium();
    watched = await watchedPage(browser, { width: 1280, height: 900 });
    page = watched.page;
  });
  afterAll(async () => {
    await watched?.close();
    await browser?.close();
  });

  /** Clicks and waits for the navigation it starts (the URL changes). */
  async function navigateBy(selector: string) {
    const before = page.url();
    await Promise.all([page.waitForURL((url) => url.href !== before), page.click(selector)]);
  }

  const rowIds = async () =>
    page.locator('[data-testid="audit-table"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-entry-id'))));

  it('sends a visitor without a session to /login, and lets the admin in after signing in', async () => {
    await page.goto(`${app.url}/admin/audit`);
    await page.waitForURL(/\/login\?next=%2Fadmin%2Faudit$/);
    await page.fill('input[name="email"]', 'admin@drop.test');
    await page.fill('input[name="password"]', DEMO_PASSWORD);
    await page.click('button[type="submit"]');
    // Signed in, the admin is back on the page that asked.
    await page.waitForURL((url) => url.pathname === '/admin/audit');
    await expect
      .poll(() => page.locator('[data-testid="chain-status"]').textContent(), { timeout: 15_000 })
      .toMatch(/Chain intact · \d+ entries/);
    {
      const newest = await stack()
        .db.db.selectFrom('audit_log')
        .select('id')
        .orderBy('timestamp', 'desc')
        .orderBy('id', 'desc')
        .limit(50)
        .execute();
      expect(await rowIds()).toEqual(newest.map((r) => r.id));
    }
    await watched.screenshot(`admin-audit-${dialect}`);
    expect(await watched.problems()).toEqual([]);
  });

  it('filters by action and outcome through the form', async () => {
    await page.selectOption('select[name="action"]', 'login_failure');
    await page.selectOption('select[name="outcome"]', 'failure');
    await navigateBy('button:has-text("Apply filters")');
    const actions = await page.locator('[data-testid="audit-table"] tbody tr td:nth-child(3)').allTextContents();
    expect(actions).toEqual(['login_failure']);
    expect(await page.getAttribute('[data-testid="export"]', 'href')).toBe(
      '/api/admin/audit?format=ndjson&outcome=failure&action=login_failure',
    );
  });

  it('follows the request id to the trace viewer, and to the entries of that request', async () => {
    const requestLink = page.locator('[data-testid="request-link"]').first();
    expect(await requestLink.getAttribute('href')).toBe(`/admin/audit?request_id=${failedLoginTraceId}`);
    const link = page.locator('[data-testid="trace-link"]').first();
    expect(await link.getAttribute('href')).toBe(`${viewer.url}/trace/${failedLoginTraceId}`);
    const [viewerPage] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await viewerPage.waitForLoadState();
    expect(await viewerPage.textContent('#trace')).toBe(`/trace/${failedLoginTraceId}`);
    await viewerPage.close();
  });

  it('pages older and newer, and filters by a user from the actor column', async () => {
    await page.goto(`${app.url}/admin/audit?limit=3`);
    const first = await rowIds();
    expect(first).toHaveLength(3);
    await navigateBy('a:has-text("Older →")');
    const second = await rowIds();
    expect(second).toHaveLength(3);
    expect(Math.max(...second)).toBeLessThan(Math.min(...first));
    await navigateBy('a:has-text("← Newer")');
    expect(await rowIds()).toEqual(first);
    // Back on the first page: there is nothing newer to go to.
    expect(await page.locator('a:has-text("← Newer")').count()).toBe(0);

    await page.goto(`${app.url}/admin/audit`);
    await navigateBy('[data-testid="audit-table"] tbody tr td:nth-child(2) a >> text=bob@drop.test');
    const actors = await page.locator('[data-testid="audit-table"] tbody tr td:nth-child(2)').allTextContents();
    expect(actors.length).toBeGreaterThan(0);
    expect(new Set(actors)).toEqual(new Set(['bob@drop.test']));
  });

  it('answers a filter by email the same way as one by id, and shows bad input as a message', async () => {
    await page.goto(`${app.url}/admin/audit?user_id=bob%40drop.test`);
    expect(new Set(await page.locator('[data-testid="audit-table"] tbody tr td:nth-child(2)').allTextContents())).toEqual(
      new Set(['bob@drop.test']),
    );
    const response = await page.goto(`${app.url}/admin/audit?from=yesterday`);
    expect(response?.status()).toBe(200);
    expect(await page.locator('[data-testid="audit-problems"]').textContent()).toBe(
      'From: “yesterday” is not a date. Pick one in the calendar, or type it as 2026-01-31 or 2026-01-31T12:00 (UTC).',
    );
  });

  it('shows the addresses of an erased user as "erased", the others in clear', async () => {
    const { db, database } = stack();
    const bobId = (await db.db.selectFrom('users').select('id').where('email', '=', 'bob@drop.test').executeTakeFirstOrThrow()).id;
    const erased = await runAuditScript('audit-erase.ts', database.url, [bobId], {
      AUTH_SECRET: TEST_AUTH_SECRET,
      AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    });
    expect(erased.code, erased.stderr).toBe(0);
    await page.goto(`${app.url}/admin/audit?user_id=${bobId}&action=login_success`);
    expect(new Set(await page.locator('[data-testid="audit-table"] tbody tr td:nth-child(6)').allTextContents())).toEqual(
      new Set(['erased']),
    );
    await page.goto(`${app.url}/admin/audit?user_id=alice%40drop.test&action=login_success`);
    expect(new Set(await page.locator('[data-testid="audit-table"] tbody tr td:nth-child(6)').allTextContents())).toEqual(
      new Set(['127.0.0.1']),
    );
  });

  it('shows a 403 page to a signed-in user who is not an admin', async () => {
    const context = await browser.newContext();
    const client = new TestClient(app.url);
    expect((await client.login('alice@drop.test', DEMO_PASSWORD)).status).toBe(200);
    await context.addCookies([{ name: 'drop_session', value: client.cookie('drop_session')!, url: app.url }]);
    const alicePage = await context.newPage();
    const response = await alicePage.goto(`${app.url}/admin/audit`);
    expect(response?.status()).toBe(403);
    expect(await alicePage.textContent('h1')).toContain('Not allowed');
    await context.close();
  });
});
