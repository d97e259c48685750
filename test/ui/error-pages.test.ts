import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { useStack } from '../helpers/stack';
import { settled, signInContext, watchedPage } from '../helpers/watched-page';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * What Next 16 itself logs each time app/error.tsx catches a server render error in a production build: its
 * onCaughtError hands the redacted error to console.error — in the server's words when the page is first rendered,
 * as React's minified error #441 (the same redacted error, decoded in the browser) after a client-side refresh.
 * Accepted here, at most once per render, and nothing else (docs/PAGES.md, "Error pages").
 */
const NEXT_CAUGHT_SERVER_ERROR = /^console\.error: Error: (An error occurred in the Server Components render\.|Minified React error #441;)/;

// The error pages do not depend on the database: SQLite only.
describe('error pages in a browser (SQLite)', () => {
  const fixture = useStack();

  it('an unknown address shows the branded 404 with the navigation, signed out and signed in', { timeout: 60_000 }, async () => {
    const { app } = fixture();
    const { context, page, problems, screenshot, close } = await watchedPage(browser);
    const res = await page.goto(`${app.url}/no-such-page`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('404 · Not found');
    expect(await page.getByRole('link', { name: 'Drop' }).isVisible()).toBe(true);
    await screenshot('not-found-signed-out');

    await signInContext(context, app.url, 'alice@drop.test');
    await page.goto(`${app.url}/no-such-page`);
    expect(await page.locator('h1').textContent()).toBe('404 · Not found');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'Home',
      'Get paid',
      'Pay',
      'Identity',
      'Security',
    ]);
    await screenshot('not-found-signed-in');
    await page.getByRole('link', { name: 'Back to your dashboard' }).click();
    await page.waitForURL(`${app.url}/`);
    await expect.poll(() => page.getByTestId('balance').isVisible(), settled).toBe(true);
    expect(await problems({ expectedStatuses: [404] })).toEqual([]);
    await close();
  });

  it('/favicon.ico, which browsers ask for on their own, is the app icon, not a 404 in the console', async () => {
    const res = await fetch(`${fixture().app.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
  });

  it("a payment request's address opened by someone else is the payer's page, not a 404", async () => {
    const { app } = fixture();
    const { context, page, problems, screenshot, close } = await watchedPage(browser);
    await signInContext(context, app.url, 'alice@drop.test');
    const res = await page.goto(`${app.url}/qr/unknown-code`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${app.url}/pay?code=unknown-code`);
    expect(await page.locator('main').getByRole('alert').textContent()).toBe(
      'No payment request has this code. Check the code or link and try again.',
    );
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
    await screenshot('qr-unknown-code');
    expect(await problems()).toEqual([]);
    await close();
  });

  it('an admin page is refused to a user with the 403 page', async () => {
    const { app } = fixture();
    const { context, page, problems, screenshot, close } = await watchedPage(browser);
    await signInContext(context, app.url, 'alice@drop.test');
    for (const path of ['/admin/audit', '/admin/debug']) {
      const res = await page.goto(`${app.url}${path}`);
      expect(res?.status(), path).toBe(403);
      expect(await page.locator('h1').textContent(), path).toBe('403 · Not allowed');
      expect(await page.getByText('Your account does not have access to this page.').isVisible()).toBe(true);
    }
    await screenshot('forbidden');
    expect(await problems({ expectedStatuses: [403] })).toEqual([]);
    await close();
  });

  it('a page failing on the server shows "Something went wrong" with its reference; Try again asks the server again', async () => {
    const { app } = fixture();
    const { context, page, problems, screenshot, close } = await watchedPage(browser);
    await signInContext(context, app.url, 'admin@drop.test');
    const res = await page.goto(`${app.url}/admin/debug/server-error`);
    expect(res?.status()).toBe(500);
    const main = page.locator('main');
    await expect.poll(() => main.locator('h1').textContent(), settled).toBe('Something went wrong');
    expect(await main.locator('p.muted').textContent()).toMatch(/^The page could not be shown \(reference \d+\)\.$/);
    expect(await page.getByRole('navigation', { name: 'Admin' }).isVisible()).toBe(true);
    await screenshot('server-error');

    // Next's digest is a hash of the error: the reference the server logged for this render.
    const reference = (await main.locator('p.muted').textContent())!.match(/reference (\d+)/)![1]!;
    await fixture().app.waitForLog(new RegExp(`"digest":"${reference}"|${reference}`));

    // Try again re-renders the page on the server (the error is deliberate: it fails again, and says so).
    const retried = page.waitForRequest(
      (req) => req.url().startsWith(`${app.url}/admin/debug/server-error`) && req.headers()['rsc'] === '1',
    );
    await main.getByRole('button', { name: 'Try again' }).click();
    await retried;
    await expect.poll(() => main.locator('h1').textContent(), settled).toBe('Something went wrong');

    const seen = await problems({ expectedStatuses: [500] });
    expect(seen.filter((line) => !NEXT_CAUGHT_SERVER_ERROR.test(line))).toEqual([]);
    expect(seen.length, 'at most one line per render').toBeLessThanOrEqual(2);
    await close();
  });
});
