import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { DEMO_PASSWORD } from '../helpers/app-server';
import { DIALECTS } from '../helpers/databases';
import { useStack } from '../helpers/stack';
import { settled, watchedPage } from '../helpers/watched-page';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(DIALECTS)('dashboard in a browser on %s', (dialect) => {
  const fixture = useStack({ dialect });

  it('signs alice in, shows her balance, sends money to bob, lists it, and signs out', async () => {
    const { app } = fixture();
    const { page, problems, screenshot, close } = await watchedPage(browser);
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
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.waitForURL(`${app.url}/`);
    const balance = page.getByTestId('balance');
    await expect.poll(() => balance.textContent(), settled).toBe('€1,000.00');
    await expect.poll(() => page.getByText('No transfers yet.').isVisible(), settled).toBe(true);

    const form = page.getByRole('form', { name: 'Send money' });
    await form.getByLabel('To (email)').fill('bob@drop.test');
    await form.getByLabel('Amount (EUR)').fill('12.34');
    await form.getByLabel('Note (optional)').fill('Pizza night');
    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByTestId('send-review').getByRole('button', { name: 'Send €12.34' }).click();

    await expect
      .poll(() => page.getByTestId('send-receipt').getByRole('status').textContent(), settled)
      .toBe('Sent €12.34 to Bob Example.');
    await expect.poll(() => balance.textContent(), settled).toBe('€987.66');
    const firstRow = page.locator('table tbody tr').first();
    await expect
      .poll(() => firstRow.locator('td').allTextContents(), settled)
      .toEqual([expect.any(String), 'to bob@drop.test', 'Pizza night', 'completed', '−€12.34']);
    expect(await fixture().balanceOf(alice.id)).toBe(98_766);
    await screenshot(`dashboard-${dialect}`);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${app.url}/login`);
    await page.goto(`${app.url}/`);
    await page.waitForURL(`${app.url}/login`);

    expect(await problems()).toEqual([]);
    await close();
  });

  it('shows a readable error for a wrong password and stays on the login page', async () => {
    const { app } = fixture();
    const { page, problems, close } = await watchedPage(browser);
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Email').fill('alice@drop.test');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const form = page.getByRole('form', { name: 'Sign in' });
    await expect.poll(() => form.getByRole('alert').textContent(), settled).toBe('Email or password is incorrect');
    expect(page.url()).toBe(`${app.url}/login`);
    // The failed login is a 401 the browser reports as a failed resource load; nothing else may appear.
    expect(await problems({ expectedStatuses: [401] })).toEqual([]);
    await close();
  });
});
