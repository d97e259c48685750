import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { DIALECTS } from '../helpers/databases';
import { uniqueEmail, useStack } from '../helpers/stack';
import { HttpClient } from '../helpers/http-client';
import { SCREENSHOT_DIR, settled, signInThroughPage, watchedPage } from '../helpers/watched-page';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';
const LAPTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';

describe.each(DIALECTS)('account pages in a browser on %s', (dialect) => {
  const fixture = useStack({ dialect });

  it('the login/register toggle changes the heading and clears a stale error; a new user registers', { timeout: 60_000 }, async () => {
    const { app } = fixture();
    const { page, problems, close } = await watchedPage(browser);
    await page.goto(`${app.url}/login`);
    expect(await page.locator('h1').textContent()).toBe('Sign in to Drop');
    await page.getByLabel('Email').fill('alice@drop.test');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const main = page.locator('main');
    await expect.poll(() => main.getByRole('alert').textContent(), settled).toBe('Email or password is incorrect');

    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    expect(await page.locator('h1').textContent()).toBe('Create your Drop account');
    expect(await main.getByRole('alert').count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Create account' }).isVisible()).toBe(true);
    await page.getByLabel('Name').fill('Nora New');
    await page.getByLabel('Email').fill(uniqueEmail('nora'));
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => main.getByRole('alert').textContent(), settled).toBe('Use at least 10 characters');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/register-error-${dialect}.png` });

    await page.getByRole('button', { name: 'Have an account? Sign in' }).click();
    expect(await page.locator('h1').textContent()).toBe('Sign in to Drop');
    expect(await main.getByRole('alert').count()).toBe(0);
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    await page.getByLabel('Name').fill('Nora New');
    await page.getByLabel('Password').fill('a-long-enough-password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${app.url}/`);
    expect(await page.locator('main').getByText('Signed in as Nora New').isVisible()).toBe(true);
    // The navigation has the user's pages and none of the admins'.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual([
      'Home',
      'Get paid',
      'Pay',
      'Identity',
      'Security',
    ]);
    expect(await page.getByRole('navigation', { name: 'Admin' }).count()).toBe(0);
    expect(await problems({ expectedStatuses: [400, 401] })).toEqual([]);
    await close();
  });

  it(
    'KYC: the dashboard says "not verified", the form sends it, both show "under review"; a second send is explained (409)',
    { timeout: 60_000 },
    async () => {
      const { app, signUp } = fixture();
      const user = await signUp({ name: 'Kim Checked' });
      const first = await watchedPage(browser);
      await first.context.addCookies([{ name: 'drop_session', value: user.client.cookie('drop_session')!, url: app.url }]);
      await first.page.goto(`${app.url}/`);
      expect(await first.page.getByTestId('kyc-status').textContent()).toBe('Identity: not verified Verify your identity');
      await first.page.getByRole('link', { name: 'Verify your identity' }).click();
      await first.page.waitForURL(`${app.url}/kyc`);
      // A second tab opened on the form before the first one sends it (watched like the first).
      const second = await first.context.newPage();
      await second.goto(`${app.url}/kyc`);

      const form = first.page.getByRole('form', { name: 'Verify your identity' });
      await form.getByLabel('Full name, as on the document').fill('Kim Checked');
      await form.getByLabel('Date of birth').fill('2015-06-01');
      await form.getByLabel('Document type').selectOption('id_card');
      await form.getByLabel('Document number').fill('ID 4455-66789');
      await form.getByRole('button', { name: 'Send for review' }).click();
      await expect.poll(() => form.getByRole('alert').textContent(), settled).toBe('You must be at least 18');
      await form.getByLabel('Date of birth').fill('1990-04-01');
      await first.screenshot(`kyc-form-${dialect}`);
      await form.getByRole('button', { name: 'Send for review' }).click();
      const review = first.page.getByTestId('kyc-review');
      await expect
        .poll(() => review.textContent(), settled)
        .toMatch(/We received your ID card ending 6789 on \d{1,2} \w{3} \d{4}, \d\d:\d\d · just now and are reviewing it\./);
      await first.screenshot(`kyc-under-review-${dialect}`);

      await first.page.getByRole('link', { name: 'Back to your dashboard' }).click();
      await first.page.waitForURL(`${app.url}/`);
      expect(await first.page.getByTestId('kyc-status').textContent()).toMatch(
        /^Identity: under review since \d{1,2} \w{3} \d{4}, \d\d:\d\d(?: UTC)? · ID card ending 6789$/,
      );

      const stale = second.getByRole('form', { name: 'Verify your identity' });
      await stale.getByLabel('Full name, as on the document').fill('Kim Checked');
      await stale.getByLabel('Date of birth').fill('1990-04-01');
      await stale.getByLabel('Document number').fill('P1234567');
      await stale.getByRole('button', { name: 'Send for review' }).click();
      await expect
        .poll(() => stale.getByRole('alert').textContent(), settled)
        .toBe(
          'You have already sent your identity documents and they are being reviewed. You can send new ones once that review is finished.',
        );
      await second.screenshot({ path: `${SCREENSHOT_DIR}/kyc-409-${dialect}.png`, fullPage: true });
      expect(await first.problems({ expectedStatuses: [400, 409] })).toEqual([]);
      await first.close();
    },
  );

  it(
    'Security: lists the sessions, signs out one and then all others, changes the password; too many wrong ones are explained (429)',
    { timeout: 90_000 },
    async () => {
      const { app, signUp } = fixture();
      const user = await signUp({ name: 'Sid Secure' });
      const elsewhere = async (userAgent: string) => {
        const client = new HttpClient(app.url);
        expect((await client.login(user.email, user.password, { headers: { 'user-agent': userAgent } })).status).toBe(200);
        return client;
      };
      const phone = await elsewhere(PHONE_UA);
      const laptop = await elsewhere(LAPTOP_UA);
      const { page, problems, screenshot, close } = await watchedPage(browser);
      await signInThroughPage(page, app.url, user.email, user.password);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Security' }).click();
      await page.waitForURL(`${app.url}/sessions`);

      const rows = page.locator('[data-testid="sessions"] tbody tr');
      const devices = () => rows.locator('td:first-child').allTextContents();
      // The registration's own session (node's fetch) is one of them too.
      expect((await devices()).sort()).toEqual(['Firefox on Windows', 'Headless Chrome on Linux', 'Safari on iOS', 'node'].sort());
      const current = rows.filter({ hasText: 'this device' });
      expect(await current.locator('td:first-child').textContent()).toBe('Headless Chrome on Linux');
      expect(await current.getByRole('button').count()).toBe(0);
      await screenshot(`sessions-${dialect}`);

      await rows.filter({ hasText: 'Safari on iOS' }).getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(async () => (await devices()).length, settled).toBe(3);
      expect(await devices()).not.toContain('Safari on iOS');
      expect((await phone.get('/api/account')).status).toBe(401);

      await page.getByRole('button', { name: 'Sign out all other sessions' }).click();
      await expect.poll(devices, settled).toEqual(['Headless Chrome on Linux']);
      expect((await laptop.get('/api/account')).status).toBe(401);
      expect((await user.client.get('/api/account')).status).toBe(401);
      expect(await page.getByRole('button', { name: 'Sign out all other sessions' }).count()).toBe(0);

      // A password change signs out every other session; this one stays.
      const tablet = await elsewhere(PHONE_UA);
      await page.reload();
      await expect.poll(async () => (await devices()).length, settled).toBe(2);
      const form = page.getByRole('form', { name: 'Change password' });
      const newPassword = 'a-brand-new-password';
      await form.getByLabel('Current password').fill(user.password);
      await form.getByLabel('New password (at least 10 characters)').fill(newPassword);
      await form.getByLabel('New password again').fill('something-else-entirely');
      await form.getByRole('button', { name: 'Change password' }).click();
      expect(await form.getByRole('alert').textContent()).toBe('The two new passwords do not match.');
      await form.getByLabel('New password again').fill(newPassword);
      await form.getByRole('button', { name: 'Change password' }).click();
      await expect
        .poll(() => form.getByRole('status').textContent(), settled)
        .toBe('Password changed. Every other session has been signed out.');
      await expect.poll(devices, settled).toEqual(['Headless Chrome on Linux']);
      expect((await tablet.get('/api/account')).status).toBe(401);
      expect((await new HttpClient(app.url).login(user.email, newPassword)).status).toBe(200);
      await screenshot(`password-changed-${dialect}`);

      // Wrong current passwords: each is said so, and after five the form says how long the pause lasts.
      for (let attempt = 1; attempt <= 5; attempt++) {
        await form.getByLabel('Current password').fill(`wrong-password-${attempt}`);
        await form.getByLabel('New password (at least 10 characters)').fill('another-new-password');
        await form.getByLabel('New password again').fill('another-new-password');
        await form.getByRole('button', { name: 'Change password' }).click();
        await expect.poll(() => form.getByRole('alert').textContent(), settled).toBe('Your current password is not correct.');
        // The message stays the same from one attempt to the next: wait for the request to finish before the next.
        await expect.poll(() => form.getByRole('button', { name: 'Change password' }).isEnabled(), settled).toBe(true);
      }
      await form.getByLabel('Current password').fill(newPassword);
      await form.getByLabel('New password (at least 10 characters)').fill('another-new-password');
      await form.getByLabel('New password again').fill('another-new-password');
      await form.getByRole('button', { name: 'Change password' }).click();
      await expect
        .poll(() => form.getByRole('alert').textContent(), settled)
        .toMatch(/^Too many wrong attempts\. For your safety this is paused: try again in 1[45] minutes\.$/);
      await screenshot(`password-rate-limited-${dialect}`);
      // Still signed in with the password changed once.
      expect((await new HttpClient(app.url).login(user.email, newPassword)).status).toBe(200);
      expect(await problems({ expectedStatuses: [400, 429] })).toEqual([]);
      await close();
    },
  );

  it('after 5 wrong passwords the login page says how long sign-in is paused (429)', { timeout: 60_000 }, async () => {
    const { app, signUp } = fixture();
    const user = await signUp();
    const { page, problems, screenshot, close } = await watchedPage(browser);
    await page.goto(`${app.url}/login`);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill(user.email);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await form.getByLabel('Password').fill(`wrong-password-${attempt}`);
      await form.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect.poll(() => form.getByRole('alert').textContent(), settled).toBe('Email or password is incorrect');
      // The message stays the same from one attempt to the next: wait for the request to finish before the next.
      await expect.poll(() => form.getByRole('button', { name: 'Sign in', exact: true }).isEnabled(), settled).toBe(true);
    }
    await form.getByLabel('Password').fill(user.password);
    await form.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect
      .poll(() => form.getByRole('alert').textContent(), settled)
      .toMatch(/^Too many wrong attempts\. For your safety this is paused: try again in 1[45] minutes\.$/);
    expect(page.url()).toBe(`${app.url}/login`);
    await screenshot(`login-rate-limited-${dialect}`);
    expect(await problems({ expectedStatuses: [401, 429] })).toEqual([]);
    await close();
  });

  it('signed out, every account page sends the visitor to /login, naming itself to come back to', { timeout: 60_000 }, async () => {
    const { app } = fixture();
    const { page, problems, close } = await watchedPage(browser);
    for (const path of ['/qr', '/pay', '/kyc', '/sessions', '/qr/some-code']) {
      await page.goto(`${app.url}${path}`);
      await page.waitForURL(`${app.url}/login?next=${encodeURIComponent(path)}`);
    }
    await page.goto(`${app.url}/`);
    await page.waitForURL(`${app.url}/login`);
    expect(await problems()).toEqual([]);
    await close();
  });
});
