import crypto from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDateTime } from '../../src/lib/time';
import { launchChromium, localized } from '../helpers/browser';
import { useStack } from '../helpers/stack';
import { settled, signInContext, watchedPage, type WatchedPage } from '../helpers/watched-page';

/** A phone (an iPhone 14's CSS size, with a mobile viewport) and a desk. */
const SIZES = [
  { name: 'phone', width: 390, height: 844, isMobile: true },
  { name: 'desk', width: 1280, height: 800, isMobile: false },
] as const;
type Size = (typeof SIZES)[number];

/** The public origin the app hands out links for (APP_ORIGIN): the QR code must hold an https link to it. */
const APP_ORIGIN = 'https://pay.drop.test';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

function decodeQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
}

/** How far the page is wider than the window (0: no horizontal scroll). */
const overflow = (page: Page) =>
  page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - document.documentElement.clientWidth);

/** The element's box lies inside the window's width: reachable without scrolling sideways. */
async function withinWidth(page: Page, locator: ReturnType<Page['locator']>, width: number): Promise<boolean> {
  const box = await locator.boundingBox();
  return box !== null && box.x >= 0 && box.x + box.width <= width + 0.5;
}

const open = (size: Size) => watchedPage(browser, { width: size.width, height: size.height, isMobile: size.isMobile });

describe('Drop on a phone (390×844) and a desk (1280×800)', () => {
  const fixture = useStack({ env: { APP_ORIGIN } });

  it.each(SIZES)(
    'every page fits the $name without horizontal scroll, with Sign out and its main action in reach',
    { timeout: 120_000 },
    async (size) => {
      const { app, signIn, db } = fixture();
      // Something on every page: a request of bob's, a long note in alice's transfers, audit entries.
      const bob = await signIn('bob@drop.test');
      const { code } = (
        await bob.client.post('/api/qr', { amountCents: 1_234, description: 'Dinner at the Schwarzwaldstube, split four ways' })
      ).body;
      const alice = await signIn('alice@drop.test');
      const note = 'Half of the holiday flat in Sønderborg incl. cleaning fee';
      const { transfer } = (
        await alice.client.post(
          '/api/transfers',
          { toEmail: 'bob@drop.test', amountCents: 4_250, note },
          { headers: { 'idempotency-key': crypto.randomUUID() } },
        )
      ).body;
      expect((await alice.client.post(`/api/transfers/${transfer.id}/confirm`)).status).toBe(200);
      const lastEntry = await db.db.selectFrom('audit_log').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();

      const pagesOf: [string, string, string | null][] = [
        ['alice@drop.test', '/', 'Review'],
        ['alice@drop.test', '/qr', 'Create QR code'],
        ['alice@drop.test', `/pay?code=${code}`, 'Pay €12.34 to Bob Example'],
        ['alice@drop.test', '/kyc', null],
        ['alice@drop.test', '/sessions', 'Change password'],
        ['alice@drop.test', '/no-such-page', null],
        ['bob@drop.test', `/qr/${code}`, 'Copy link'],
        ['admin@drop.test', '/admin/audit', 'Apply filters'],
        ['admin@drop.test', `/admin/audit?entry=${lastEntry.id}`, 'Apply filters'],
        ['admin@drop.test', '/admin/debug', null],
      ];
      const pages = new Map<string, WatchedPage>();
      for (const [email, path, action] of pagesOf) {
        let watched = pages.get(email);
        if (!watched) {
          watched = await open(size);
          await signInContext(watched.context, app.url, email);
          pages.set(email, watched);
        }
        const { page } = watched;
        await page.goto(`${app.url}${path}`);
        await localized(page);
        expect(await overflow(page), `${path} at ${size.width}px`).toBeLessThanOrEqual(0);
        const signOut = page.locator('header').getByRole('button', { name: 'Sign out' });
        expect(await withinWidth(page, signOut, size.width), `Sign out on ${path}`).toBe(true);
        if (action)
          expect(await withinWidth(page, page.getByRole('button', { name: action }).first(), size.width), `${action} on ${path}`).toBe(
            true,
          );
        await watched.screenshot(
          `${size.name}-${email.split('@')[0]}${
            path
              .replace(code, 'code')
              .replace(String(lastEntry.id), 'n')
              .replace(/[/?=&]+/g, '-')
              .replace(/-$/, '') || '-home'
          }`,
        );
      }
      // The sign-in page, signed out.
      const visitor = await open(size);
      await visitor.page.goto(`${app.url}/login`);
      expect(await overflow(visitor.page)).toBeLessThanOrEqual(0);
      expect(await withinWidth(visitor.page, visitor.page.getByRole('button', { name: 'Sign in', exact: true }), size.width)).toBe(true);
      await visitor.screenshot(`${size.name}-login`);

      for (const watched of [...pages.values(), visitor]) {
        expect(await watched.problems({ expectedStatuses: [404] })).toEqual([]);
        await watched.close();
      }
    },
  );

  it.each(SIZES)(
    'on a $name, "2,50" is €2.50: reviewed with the name and email, sent, a receipt; ambiguous amounts are refused in words',
    { timeout: 90_000 },
    async (size) => {
      const { app, signUp, balanceOf, db } = fixture();
      const sender = await signUp({ name: 'Sina Sender', balanceCents: 1_000 });
      const recipient = await signUp({ name: 'Rita Receiver' });
      const watched = await open(size);
      await watched.context.addCookies([{ name: 'drop_session', value: sender.client.cookie('drop_session')!, url: app.url }]);
      const { page } = watched;
      await page.goto(`${app.url}/`);
      const form = page.getByRole('form', { name: 'Send money' });
      const amount = form.getByLabel('Amount (EUR)');
      expect(await amount.evaluate((input: HTMLInputElement) => [input.type, input.inputMode])).toEqual(['text', 'decimal']);
      const sent = () => db.db.selectFrom('transfers').select(['amount_cents', 'status']).where('from_user_id', '=', sender.id).execute();

      // Ambiguous or impossible amounts: refused in words before anything is created.
      for (const [typed, words] of [
        ['1,234', '“1,234” could mean €1,234.00 or about €1.23. Write it without a thousands separator (1234) or with at most 2 decimals.'],
        ['1.234,5', '“1.234,5” has more than one separator. Write it without thousands separators, e.g. 1234.50 or 1234,50.'],
        ['2.505', '“2.505” could mean €2,505.00 or about €2.51. Write it without a thousands separator (2505) or with at most 2 decimals.'],
        ['0,125', '“0,125” has 3 decimals: euros have cents, at most 2 decimals.'],
        ['1000000,01', 'The amount must be at most €1,000,000.00.'],
      ]) {
        await form.getByLabel('To (email)').fill(recipient.email);
        await amount.fill(typed!);
        await form.getByRole('button', { name: 'Review' }).click();
        await expect.poll(() => form.getByTestId('amount-hint').textContent(), settled).toBe(words);
        expect(await form.getByRole('alert').textContent()).toBe(words);
      }
      expect(await sent()).toEqual([]);

      // "2,50" with a comma, as a phone's keypad in much of Europe types it.
      await amount.fill('2,50');
      expect(await form.getByTestId('amount-hint').textContent()).toBe('That is €2.50.');
      await form.getByLabel('Note (optional)').fill('Coffee ☕');
      await form.getByRole('button', { name: 'Review' }).click();
      const review = page.getByTestId('send-review');
      await review.waitFor();
      expect(await review.getByTestId('review-name').textContent()).toBe('Rita Receiver');
      expect(await review.getByTestId('review-email').textContent()).toBe(recipient.email);
      expect(await review.getByTestId('review-amount').textContent()).toBe('€2.50');
      expect(await review.getByTestId('review-note').textContent()).toBe('Coffee ☕');
      // Reviewing moved nothing; the recipient does not see the prepared transfer either.
      expect(await balanceOf(sender.id)).toBe(1_000);
      expect((await recipient.client.get('/api/transfers')).body.transfers).toEqual([]);
      expect(await withinWidth(page, review.getByRole('button', { name: 'Send €2.50' }), size.width)).toBe(true);
      await watched.screenshot(`${size.name}-send-review`);

      await review.getByRole('button', { name: 'Send €2.50' }).click();
      const receipt = page.getByTestId('send-receipt');
      await expect.poll(() => receipt.getByRole('status').textContent(), settled).toBe('Sent €2.50 to Rita Receiver.');
      await localized(page);
      await watched.screenshot(`${size.name}-send-receipt`);
      expect(await sent()).toEqual([{ amount_cents: 250, status: 'completed' }]);
      expect(await balanceOf(sender.id)).toBe(750);
      expect(await balanceOf(recipient.id)).toBe(250);
      await expect.poll(() => page.getByTestId('balance').textContent(), settled).toBe('€7.50');

      // Back on the form: empty (the draft went with the receipt).
      await receipt.getByRole('button', { name: 'Send more money' }).click();
      expect(await form.getByLabel('Amount (EUR)').inputValue()).toBe('');
      expect(await watched.problems()).toEqual([]);
      await watched.close();
    },
  );

  it(
    'sign-in comes back to the page that asked, never to another site; an expired session keeps the typed form',
    { timeout: 90_000 },
    async () => {
      const { app, signIn, signUp } = fixture();
      const bob = await signIn('bob@drop.test');
      const { code } = (await bob.client.post('/api/qr', { amountCents: 700, description: 'Cinema' })).body;
      const phone = await open(SIZES[0]);
      const { page } = phone;

      // A pay link opened signed out: sign in, and the request is there.
      await page.goto(`${app.url}/pay?code=${code}`);
      expect(page.url()).toBe(`${app.url}/login?next=${encodeURIComponent(`/pay?code=${code}`)}`);
      expect(await page.getByTestId('login-next').textContent()).toBe('Sign in to continue where you were.');
      await page.getByLabel('Email').fill('alice@drop.test');
      await page.getByLabel('Password').fill('drop-demo-password');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${app.url}/pay?code=${code}`);
      expect(await page.getByTestId('request-to-pay').locator('h2').textContent()).toBe('€7.00 to Bob Example');
      await phone.screenshot('phone-deep-link-return');

      // Hostile `next` values end at home, whether signed in already (the server's redirect) or after the form.
      const hostile = [
        '//evil.test',
        'https://evil.test',
        '/\\evil.test',
        '/%2F%2Fevil.test',
        '%2F%2Fevil.test',
        '/%5Cevil.test',
        'javascript:alert(1)',
        '/\t/evil.test',
      ];
      for (const next of hostile) {
        await page.goto(`${app.url}/login?next=${encodeURIComponent(next)}`);
        expect(new URL(page.url()).origin, next).toBe(app.url);
        expect(page.url(), next).toBe(`${app.url}/`);
      }
      await page.goto(`${app.url}/login?next=//evil.test`);
      expect(page.url()).toBe(`${app.url}/`);
      const visitor = await open(SIZES[1]);
      await visitor.page.goto(`${app.url}/login?next=${encodeURIComponent('https://evil.test/steal')}`);
      expect(await visitor.page.getByTestId('login-next').count()).toBe(0);
      await visitor.page.getByLabel('Email').fill('alice@drop.test');
      await visitor.page.getByLabel('Password').fill('drop-demo-password');
      await visitor.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await visitor.page.waitForURL(`${app.url}/`);

      // The session ends while a send is being typed: Review leads to sign-in, and back to a form still filled in.
      const sender = await signUp({ name: 'Eve Expiring', balanceCents: 500 });
      const typing = await open(SIZES[0]);
      await typing.context.addCookies([{ name: 'drop_session', value: sender.client.cookie('drop_session')!, url: app.url }]);
      await typing.page.goto(`${app.url}/`);
      const form = typing.page.getByRole('form', { name: 'Send money' });
      await form.getByLabel('To (email)').fill('bob@drop.test');
      await form.getByLabel('Amount (EUR)').fill('2,50');
      await form.getByLabel('Note (optional)').fill('For the tickets');
      expect((await sender.client.post('/api/auth/logout')).status).toBe(204);
      await form.getByRole('button', { name: 'Review' }).click();
      await typing.page.waitForURL(`${app.url}/login`);
      await typing.page.getByLabel('Email').fill(sender.email);
      await typing.page.getByLabel('Password').fill(sender.password);
      await typing.page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await typing.page.waitForURL(`${app.url}/`);
      const again = typing.page.getByRole('form', { name: 'Send money' });
      await expect.poll(() => again.getByLabel('Amount (EUR)').inputValue(), settled).toBe('2,50');
      expect(await again.getByLabel('To (email)').inputValue()).toBe('bob@drop.test');
      expect(await again.getByLabel('Note (optional)').inputValue()).toBe('For the tickets');
      await typing.screenshot('phone-draft-restored');

      expect(await phone.problems()).toEqual([]);
      expect(await visitor.problems()).toEqual([]);
      // The Review that met the ended session was a 401, on purpose.
      expect(await typing.problems({ expectedStatuses: [401] })).toEqual([]);
      for (const watched of [phone, visitor, typing]) await watched.close();
    },
  );

  it(
    'the QR code and Copy link hold the https link to /pay; the payer opening the request page gets the payer view',
    { timeout: 90_000 },
    async () => {
      const { app, signIn } = fixture();
      const payee = await open(SIZES[0]);
      await payee.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
      await signInContext(payee.context, app.url, 'bob@drop.test');
      await payee.page.goto(`${app.url}/qr`);
      const form = payee.page.getByRole('form', { name: 'Request money' });
      await form.getByLabel('Amount (EUR)').fill('8,40');
      await form.getByLabel('What for (optional)').fill('Pizza');
      await form.getByRole('button', { name: 'Create QR code' }).click();
      await payee.page.waitForURL(/\/qr\/[\w-]{16,}$/);
      const code = new URL(payee.page.url()).pathname.split('/').pop()!;
      const link = `${APP_ORIGIN}/pay?code=${code}`;
      expect(await payee.page.locator('h1').textContent()).toBe('€8.40');
      expect(await payee.page.getByTestId('pay-link').inputValue()).toBe(link);
      const qr = payee.page.getByTestId('qr-image');
      await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), settled).toBe(true);
      expect(decodeQr(await qr.screenshot())).toBe(link);
      await payee.page.getByRole('button', { name: 'Copy link' }).click();
      await expect.poll(() => payee.page.getByRole('button', { name: 'Copied' }).count(), settled).toBe(1);
      expect(await payee.page.evaluate(() => navigator.clipboard.readText())).toBe(link);
      await localized(payee.page);
      await payee.screenshot('phone-qr-request');
      // The API hands out the same link.
      const bob = await signIn('bob@drop.test');
      const created = (await bob.client.post('/api/qr', { amountCents: 100 })).body;
      expect(created.payUrl).toBe(`${APP_ORIGIN}/pay?code=${created.code}`);

      // The payer opens the link (here: the same path on the test server) or the payee's page address.
      const payer = await open(SIZES[0]);
      await signInContext(payer.context, app.url, 'alice@drop.test');
      const { pathname, search } = new URL(link);
      await payer.page.goto(`${app.url}${pathname}${search}`);
      expect(await payer.page.getByTestId('request-to-pay').locator('h2').textContent()).toBe('€8.40 to Bob Example');
      await payer.page.goto(`${app.url}/qr/${code}`);
      expect(payer.page.url()).toBe(`${app.url}/pay?code=${code}`);
      await payer.page.getByRole('button', { name: 'Pay €8.40 to Bob Example' }).click();
      const review = payer.page.getByTestId('pay-review');
      expect(await review.getByTestId('review-email').textContent()).toBe('bob@drop.test');
      await payer.screenshot('phone-pay-review');
      await review.getByRole('button', { name: 'Confirm payment of €8.40' }).click();
      await expect
        .poll(() => payer.page.getByTestId('pay-receipt').getByRole('status').textContent(), settled)
        .toMatch(/^You paid €8\.40 to Bob Example on /);
      await localized(payer.page);
      await payer.screenshot('phone-pay-receipt');
      expect(await payee.problems()).toEqual([]);
      expect(await payer.problems()).toEqual([]);
      await payee.close();
      await payer.close();
    },
  );

  it("shows times in the viewer's time zone, in one format, with how long ago", { timeout: 60_000 }, async () => {
    const { app, signUp } = fixture();
    const sender = await signUp({ name: 'Tom Tokyo', balanceCents: 1_000 });
    const { transfer } = (
      await sender.client.post(
        '/api/transfers',
        { toEmail: 'bob@drop.test', amountCents: 100 },
        { headers: { 'idempotency-key': crypto.randomUUID() } },
      )
    ).body;
    const confirmed = (await sender.client.post(`/api/transfers/${transfer.id}/confirm`)).body.transfer;
    for (const timezoneId of ['Asia/Tokyo', 'America/New_York']) {
      const watched = await watchedPage(browser, { width: 390, height: 844, isMobile: true, timezoneId });
      await watched.context.addCookies([{ name: 'drop_session', value: sender.client.cookie('drop_session')!, url: app.url }]);
      await watched.page.goto(`${app.url}/`);
      await localized(watched.page);
      const time = watched.page.locator(`[data-transfer-id="${transfer.id}"] time`);
      expect(await time.textContent()).toBe(`${formatDateTime(new Date(confirmed.completedAt), timezoneId)} · just now`);
      expect(await time.getAttribute('datetime')).toBe(confirmed.completedAt);
      expect(await watched.problems()).toEqual([]);
      await watched.close();
    }
  });

  it(
    'a refused send is an audit failure with its reason: the admin page counts it and shows it in full at 390 px',
    { timeout: 90_000 },
    async () => {
      const { app, signUp } = fixture();
      const sender = await signUp({ name: 'Paul Poor', balanceCents: 100 });
      const user = await open(SIZES[0]);
      await user.context.addCookies([{ name: 'drop_session', value: sender.client.cookie('drop_session')!, url: app.url }]);
      await user.page.goto(`${app.url}/`);
      const form = user.page.getByRole('form', { name: 'Send money' });
      await form.getByLabel('To (email)').fill('bob@drop.test');
      await form.getByLabel('Amount (EUR)').fill('5');
      await form.getByRole('button', { name: 'Review' }).click();
      await user.page.getByTestId('send-review').getByRole('button', { name: 'Send €5.00' }).click();
      await expect.poll(() => form.getByRole('alert').textContent(), settled).toMatch(/^Not sent: Your balance is too low/);
      expect(await user.page.getByTestId('transfer-reason').textContent()).toBe(' not sent: your balance was too low');

      const admin = await open(SIZES[0]);
      await signInContext(admin.context, app.url, 'admin@drop.test');
      await admin.page.goto(`${app.url}/admin/audit?user_id=${encodeURIComponent(sender.email)}&outcome=failure`);
      await localized(admin.page);
      expect(await admin.page.getByTestId('audit-count').textContent()).toBe('1 entry');
      const rows = admin.page.locator('[data-testid="audit-table"] tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain('transfer_completed');
      expect(await rows.first().textContent()).toContain('failure · insufficient_funds');
      await admin.page.goto(`${app.url}/admin/audit?user_id=${encodeURIComponent(sender.email)}`);
      const all = await admin.page.locator('[data-testid="audit-table"] tbody tr').count();
      expect(await admin.page.getByTestId('audit-count').textContent()).toBe(`${all} entries`);
      await admin.page.goto(`${app.url}/admin/audit?user_id=${encodeURIComponent(sender.email)}&outcome=failure`);
      await rows.first().getByTestId('entry-details-link').click();
      const detail = admin.page.getByTestId('audit-entry-detail');
      await detail.waitFor();
      await localized(admin.page);
      const field = async (label: string) =>
        (
          await detail
            .locator('dt', { hasText: new RegExp(`^${label}$`) })
            .locator('xpath=following-sibling::dd[1]')
            .textContent()
        )?.trim();
      expect(await field('Action')).toBe('transfer_completed');
      expect(await field('Outcome')).toBe('failure');
      expect(await field('Reason')).toBe('insufficient_funds');
      expect(await field('User')).toBe(`${sender.email} · ${sender.id}`);
      expect(await field('Details')).toContain('"reason": "insufficient_funds"');
      expect(await field('Request')).toMatch(/^[0-9a-f]{32}$/);
      expect(await overflow(admin.page)).toBeLessThanOrEqual(0);
      await admin.screenshot('phone-admin-audit-detail');
      expect(await user.problems({ expectedStatuses: [409] })).toEqual([]);
      expect(await admin.problems()).toEqual([]);
      await user.close();
      await admin.close();
    },
  );
});
