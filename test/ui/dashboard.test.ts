import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { DIALECTS } from '../helpers/databases';
import { useStack } from '../helpers/stack';

/** Where the signed-in dashboard is captured, for a person to look at. */
const SCREENSHOT_DIR = process.env.DROP_SCREENSHOT_DIR ?? '/tmp';

/** How long the page may take to show what a step expects (a refresh re-renders the dashboard on the server). */
const settled = { timeout: 15_000, interval: 100 };

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A page that records every uncaught exception and console error it sees. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  return { page, problems };
}

describe.each(DIALECTS)('dashboard in a browser on %s', (dialect) => {
  const fixture = useStack({ dialect });

  it('signs alice in, shows her balance, sends money to bob, lists it, and signs out', async () => {
    const { app } = fixture();
    const { page, problems } = await watchedPage();
    const alice = await fixture()
      .db.db.selectFrom('users')
      .select(['id', 'balance_cents'])
      .where('email', '=', 'alice@drop.test')
      .executeTakeFirstOrThrow();
    expect(alice.balance_cents).toBe(100_000);

    // Signed out, the dashboard sends us to the login page.
    await page.goto(`${app.url}/`);
    await page.waitForURL(`${app.url}/login`);
    await page.getByLabel('Email').fill('alice@drop.test');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(`${app.url}/`);
    const balance = page.getByTestId('balance');
    await expect.poll(() => balance.textContent(), settled).toBe('€1,000.00');
    await expect.poll(() => page.getByText('No transfers yet.').isVisible(), settled).toBe(true);

    const form = page.getByRole('form', { name: 'Send money' });
    await form.getByLabel('To (email)').fill('bob@drop.test');
    await form.getByLabel('Amount (EUR)').fill('12.34');
    await form.getByLabel('Note (optional)').fill('Pizza night');
    await form.getByRole('button', { name: 'Send' }).click();

    await expect.poll(() => form.getByRole('status').textContent(), settled).toBe('Sent €12.34 to bob@drop.test');
    await expect.poll(() => balance.textContent(), settled).toBe('€987.66');
    const firstRow = page.locator('table tbody tr').first();
    await expect
      .poll(() => firstRow.locator('td').allTextContents(), settled)
      .toEqual([expect.any(String), 'to bob@drop.test', 'Pizza night', 'completed', '−€12.34']);
    expect(await fixture().balanceOf(alice.id)).toBe(98_766);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/drop-dashboard-${dialect}.png`, fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.url}/login`);
    await page.goto(`${app.url}/`);
    await page.waitForURL(`${app.url}/login`);

    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a readable error for a wrong password and stays on the login page', async () => {
    const { app } = fixture();
    const { page, problems } = await watchedPage();
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Email').fill('alice@drop.test');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const form = page.getByRole('form', { name: 'Sign in' });
    await expect.poll(() => form.getByRole('alert').textContent(), settled).toBe('Email or password is incorrect');
    expect(page.url()).toBe(`${app.url}/login`);
    // The failed login is a 401 the browser reports as a failed resource load; nothing else may appear.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    await page.context().close();
  });
});
