import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { useStack } from '../helpers/stack';
import { HttpClient } from '../helpers/http-client';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { settled, signInThroughPage, watchedPage } from '../helpers/watched-page';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

// What these pages show does not depend on the database (the audit page's queries are tested on both in
// test/audit/audit-page.test.ts): SQLite only. No TRACE_URL_TEMPLATE here: request ids still link, to the filter.
describe('admin pages in a browser (SQLite)', () => {
  // Traces exported (to a local receiver), so every request has a trace id, as in production.
  const fixture = useStack({ otlp: { traces: true }, env: { TRACE_URL_TEMPLATE: undefined } });

  it(
    'admins get Audit log and Monitoring in the navigation; the audit page filters by request id, explains bad filters, and Reset empties every field',
    { timeout: 90_000 },
    async () => {
      const { app } = fixture();
      // Some history: a failed and a good login of bob, each with its request id.
      const bob = new HttpClient(app.url);
      expect((await bob.login('bob@drop.test', 'wrong-password')).status).toBe(401);
      const good = await bob.login('bob@drop.test', DEMO_PASSWORD);
      const requestId = good.headers.get('x-request-id')!;
      expect(requestId).toMatch(/^[0-9a-f]{32}$/);

      const { page, problems, screenshot, close } = await watchedPage(browser, { width: 1280 });
      await signInThroughPage(page, app.url, 'admin@drop.test');
      const admin = page.getByRole('navigation', { name: 'Admin' });
      expect(await admin.getByRole('link').allTextContents()).toEqual(['Audit log', 'Monitoring']);
      await admin.getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(`${app.url}/admin/audit`);
      expect(await admin.getByRole('link', { name: 'Audit log' }).getAttribute('aria-current')).toBe('page');

      // Every request id links to the entries of that request (no trace viewer configured: no trace link).
      const table = page.getByTestId('audit-table');
      await expect.poll(() => table.getByTestId('request-link').count(), settled).toBeGreaterThan(0);
      expect(await table.getByTestId('trace-link').count()).toBe(0);
      const withRequest = table.locator('tbody tr').filter({ has: page.locator(`a[title="Every entry of request ${requestId}"]`) });
      expect(await withRequest.count()).toBe(2); // login_success and session_created
      await withRequest.first().getByTestId('request-link').click();
      await page.waitForURL(`${app.url}/admin/audit?request_id=${requestId}`);
      expect((await table.locator('tbody tr td:nth-child(3)').allTextContents()).sort()).toEqual(['login_success', 'session_created']);
      expect(await page.getByLabel('Request id').inputValue()).toBe(requestId);

      // Bad filters are explained in the form's own words.
      const form = page.getByRole('form', { name: 'Filter the audit log' });
      await form.getByLabel('User (email or id)').fill('nobody@drop.test');
      await form.getByLabel('Action').selectOption('login_failure');
      await form.getByLabel('Outcome').selectOption('failure');
      await form.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/user_id=nobody/);
      expect(await page.getByTestId('audit-problems').textContent()).toBe('User: no Drop user has the email “nobody@drop.test”.');
      await form.getByLabel('User (email or id)').fill('');
      await form.getByLabel('Request id').fill('not-a-request-id');
      await form.getByLabel('From (UTC)').fill('2026-03-01T10:00:00');
      await form.getByLabel('To (UTC)').fill('2026-02-01T10:00:00');
      await form.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/request_id=not-a-request-id/);
      expect(await page.getByTestId('audit-problems').locator('p').allTextContents()).toEqual([
        "Request id: “not-a-request-id” is not a request id. A request id is 32 characters of 0–9 and a–f, as in the x-request-id header or a log line's trace_id.",
        '“From” is later than “To”: no entry can match. Pick a start before the end.',
      ]);
      await screenshot('admin-audit-filter-problems');

      // Reset (a client-side navigation) clears every field, not just the address.
      await form.getByRole('link', { name: 'Reset' }).click();
      await page.waitForURL(`${app.url}/admin/audit`);
      await expect.poll(() => form.getByLabel('Request id').inputValue(), settled).toBe('');
      expect(await form.getByLabel('User (email or id)').inputValue()).toBe('');
      expect(await form.getByLabel('Action').inputValue()).toBe('');
      expect(await form.getByLabel('Outcome').inputValue()).toBe('');
      expect(await form.getByLabel('From (UTC)').inputValue()).toBe('');
      expect(await form.getByLabel('To (UTC)').inputValue()).toBe('');
      expect(await page.getByTestId('audit-problems').count()).toBe(0);
      await expect.poll(() => table.locator('tbody tr').count(), settled).toBeGreaterThan(2);
      await screenshot('admin-audit-reset');

      // Monitoring: the buttons keep their labels on one line, even in a narrow window.
      await admin.getByRole('link', { name: 'Monitoring' }).click();
      await page.waitForURL(`${app.url}/admin/debug`);
      for (const width of [1280, 420]) {
        await page.setViewportSize({ width, height: 900 });
        const lines = await page.locator('main button').evaluateAll((buttons) =>
          buttons.map((button) => {
            const range = document.createRange();
            range.selectNodeContents(button);
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            return `${button.textContent}: ${tops.size}`;
          }),
        );
        expect(lines, `at ${width}px`).toEqual(['Throw in the browser: 1', 'Fail an API request: 1']);
      }
      await screenshot('admin-debug-narrow');
      expect(await problems()).toEqual([]);
      await close();
    },
  );
});
