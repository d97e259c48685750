import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { useStack } from '../helpers/stack';
import { startSentryIngest, type SentryIngest } from '../helpers/sentry-ingest';

const settled = { timeout: 15_000, interval: 100 };

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * A page that records every CSP violation twice over: the `securitypolicyviolation` events the document fires
 * (collected from before any script of the page runs) and Chromium's console reports of them.
 */
async function watchedContext(): Promise<{ context: BrowserContext; page: Page; violations: () => Promise<string[]> }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const fromConsole: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) fromConsole.push(`console: ${message.text()}`);
  });
  const violations = async () => [
    ...fromConsole,
    ...(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])),
  ];
  return { context, page, violations };
}

// The policy does not depend on the database: SQLite only.
describe('Content-Security-Policy in Chromium (SQLite)', () => {
  const fixture = useStack();

  it('signs in and visits every page with no violation, and the pages work (their scripts ran)', { timeout: 60_000 }, async () => {
    const { app } = fixture();
    const { context, page, violations } = await watchedContext();
    await page.goto(`${app.url}/login`);
    expect(await violations()).toEqual([]);
    // Signing in is done by the page's script (fetches the CSRF token, posts JSON): it only works when hydrated.
    const signIn = async (email: string) => {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${app.url}/`);
    };
    await signIn('alice@drop.test');
    expect(await violations()).toEqual([]);

    const form = page.getByRole('form', { name: 'Send money' });
    await form.getByLabel('To (email)').fill('bob@drop.test');
    await form.getByLabel('Amount (EUR)').fill('1.00');
    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByTestId('send-review').getByRole('button', { name: 'Send €1.00' }).click();
    await expect.poll(() => page.getByTestId('send-receipt').getByRole('status').textContent(), settled).toBe('Sent €1.00 to Bob Example.');
    expect(await violations()).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.url}/login`);

    await signIn('admin@drop.test');
    for (const path of [
      '/qr',
      '/pay',
      '/pay?code=no-such-code',
      '/kyc',
      '/sessions',
      '/admin/audit',
      '/admin/debug',
      '/admin/debug/server-error',
      '/no-such-page',
    ]) {
      await page.goto(`${app.url}${path}`);
      await page.waitForLoadState('networkidle');
      expect(await violations(), path).toEqual([]);
    }
    // Client-side navigation (next/link) from the debug page back to the dashboard.
    await page.goto(`${app.url}/admin/debug`);
    await page.getByRole('link', { name: 'Drop' }).click();
    await page.waitForURL(`${app.url}/`);
    await expect.poll(() => page.getByTestId('balance').isVisible(), settled).toBe(true);
    expect(await violations()).toEqual([]);
    await context.close();
  });

  it('blocks a script injected into the markup without the nonce, allows a style attribute, and the page keeps working', async () => {
    const { app } = fixture();
    const { context, page, violations } = await watchedContext();
    // Stands in for an XSS hole: the server's HTML, with its policy, plus a script an attacker slipped in.
    await page.route(`${app.url}/login`, async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(
        '<body>',
        '<body><script>window.__injected = true</script><p id="styled" style="color: rgb(1, 2, 3)">styled</p>',
      );
      await route.fulfill({ response, body: html });
    });
    await page.goto(`${app.url}/login`);
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    expect((await violations()).some((v) => v.startsWith('script-src'))).toBe(true);
    // Style attributes (React's style={…} when rendered on the server) are allowed.
    expect(await page.locator('#styled').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(1, 2, 3)');
    expect((await violations()).filter((v) => v.includes('style'))).toEqual([]);
    // The page's own scripts ran: signing in works.
    await page.getByLabel('Email').fill('alice@drop.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/`);
    await context.close();
  });
});

describe('Content-Security-Policy with the browser Sentry configured (SQLite)', () => {
  let ingest: SentryIngest;
  beforeAll(async () => {
    ingest = await startSentryIngest();
  });
  afterAll(async () => {
    await ingest?.close();
  });
  const fixture = useStack({
    env: {
      // Read when the app starts (useStack's beforeAll runs after the one above, so the ingest's DSN is known).
      get NEXT_PUBLIC_SENTRY_DSN() {
        return ingest.dsn;
      },
    },
  });

  it("sends the browser's error to the DSN's host without a violation", async () => {
    const { app } = fixture();
    const { context, page, violations } = await watchedContext();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Email').fill('admin@drop.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.url}/`);
    await page.goto(`${app.url}/admin/debug`);
    await expect.poll(() => page.evaluate(() => '__SENTRY__' in window), settled).toBe(true);
    await page.getByRole('button', { name: 'Throw in the browser' }).click();
    await ingest.waitFor(
      () =>
        ingest
          .events()
          .find((e) => e.sdk?.name === 'sentry.javascript.browser' && e.exception?.values?.[0]?.value?.startsWith('Deliberate')),
      15_000,
      'the browser error event',
    );
    expect(await violations()).toEqual([]);
    await context.close();
  });
});
