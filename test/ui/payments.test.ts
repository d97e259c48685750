import crypto from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, localized } from '../helpers/browser';
import { DIALECTS } from '../helpers/databases';
import { useStack } from '../helpers/stack';
import { settled, signInContext, watchedPage } from '../helpers/watched-page';

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** Reads the QR code in a PNG as a phone's scanner would. */
function decodeQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
}

describe.each(DIALECTS)('payments in a browser on %s', (dialect) => {
  const fixture = useStack({ dialect });

  it(
    'bob shows a QR code for €12.50, alice pays it by its link, both see it paid; an expired one cannot be paid',
    { timeout: 90_000 },
    async () => {
      const { app, db } = fixture();
      const bob = await watchedPage(browser);
      await signInContext(bob.context, app.url, 'bob@drop.test');
      const alice = await watchedPage(browser);
      await signInContext(alice.context, app.url, 'alice@drop.test');

      // Bob creates a request from the navigation's "Get paid".
      await bob.page.goto(`${app.url}/`);
      await bob.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Get paid' }).click();
      await bob.page.waitForURL(`${app.url}/qr`);
      expect(await bob.page.getByText('No requests yet.').isVisible()).toBe(true);
      const form = bob.page.getByRole('form', { name: 'Request money' });
      await form.getByLabel('Amount (EUR)').fill('12.50');
      await form.getByLabel('What for (optional)').fill('Concert ticket');
      await form.getByRole('button', { name: 'Create QR code' }).click();
      await bob.page.waitForURL(/\/qr\/[\w-]{16,}$/);
      const code = new URL(bob.page.url()).pathname.split('/').pop()!;

      // The page shows the request, its state, a real QR code of the link to this app's /pay page (the request's
      // origin here: no APP_ORIGIN), the link itself, and the drop:// link for apps.
      expect(await bob.page.locator('h1').textContent()).toBe('€12.50');
      expect(await bob.page.getByTestId('request-state').textContent()).toBe('waiting for payment');
      const link = await bob.page.getByTestId('pay-link').inputValue();
      expect(link).toBe(`${app.url}/pay?code=${code}`);
      expect(await bob.page.getByTestId('drop-link').textContent()).toBe(
        `drop://pay?code=${code}&amount=1250&currency=EUR&description=Concert+ticket`,
      );
      expect(await bob.page.getByTestId('pay-code').textContent()).toBe(code);
      const qr = bob.page.getByTestId('qr-image');
      await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), settled).toBe(true);
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(decodeQr(await qr.screenshot())).toBe(link);
      await bob.screenshot(`qr-request-open-${dialect}`);

      // Alice pastes the link on the Pay page: she sees what it asks before paying.
      await alice.page.goto(`${app.url}/`);
      await alice.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pay' }).click();
      await alice.page.waitForURL(`${app.url}/pay`);
      await alice.page.getByLabel('Code or link').fill(link);
      await alice.page.getByRole('button', { name: 'Look up' }).click();
      await alice.page.waitForURL(/\/pay\?code=/);
      const toPay = alice.page.getByTestId('request-to-pay');
      expect(await toPay.locator('h2').textContent()).toBe('€12.50 to Bob Example');
      expect(await toPay.getByText('Concert ticket').isVisible()).toBe(true);
      await alice.screenshot(`pay-preview-${dialect}`);
      // Pay opens a review (whom, their email, how much, what for); only Confirm moves the money.
      await toPay.getByRole('button', { name: 'Pay €12.50 to Bob Example' }).click();
      const review = toPay.getByTestId('pay-review');
      expect(await review.getByTestId('review-name').textContent()).toBe('Bob Example');
      expect(await review.getByTestId('review-email').textContent()).toBe('bob@drop.test');
      expect(await review.getByTestId('review-amount').textContent()).toBe('€12.50');
      expect(await review.getByTestId('review-note').textContent()).toBe('Concert ticket');
      const aliceBalance = () =>
        db.db.selectFrom('users').select('balance_cents').where('email', '=', 'alice@drop.test').executeTakeFirstOrThrow();
      expect(await aliceBalance()).toEqual({ balance_cents: 100_000 });
      await alice.screenshot(`pay-review-${dialect}`);
      await review.getByRole('button', { name: 'Confirm payment of €12.50' }).click();
      await expect
        .poll(() => toPay.getByRole('status').textContent(), settled)
        .toMatch(/^You paid €12\.50 to Bob Example on \d{1,2} \w{3} \d{4}, \d\d:\d\d\.$/);
      expect(await toPay.getByTestId('pay-receipt').locator('code').textContent()).toMatch(/^[0-9a-f-]{36}$/);
      expect(await toPay.getByTestId('request-state').textContent()).toBe('paid');
      expect(await toPay.getByRole('button').count()).toBe(0);

      // Bob's page refreshes itself: paid, by whom, no QR code any more; his list says so too.
      await expect.poll(() => bob.page.getByTestId('request-state').textContent(), settled).toBe('paid');
      expect(await bob.page.locator('main').getByRole('status').textContent()).toMatch(
        /^Paid by Alice Example on \d{1,2} \w{3} \d{4}, \d\d:\d\d\. The money is in your balance\.$/,
      );
      expect(await bob.page.getByTestId('qr-image').count()).toBe(0);
      await bob.screenshot(`qr-request-paid-${dialect}`);
      await bob.page.getByRole('link', { name: 'All your requests' }).click();
      await bob.page.waitForURL(`${app.url}/qr`);
      expect(await bob.page.locator(`[data-code="${code}"] td`).allTextContents()).toEqual([
        expect.any(String),
        'Concert ticket',
        'paid by Alice Example',
        '€12.50',
      ]);

      // Money moved once; alice's dashboard lists the payment with its description as the note.
      const balances = await db.db
        .selectFrom('users')
        .select(['email', 'balance_cents'])
        .where('email', 'in', ['alice@drop.test', 'bob@drop.test'])
        .orderBy('email')
        .execute();
      expect(balances).toEqual([
        { email: 'alice@drop.test', balance_cents: 100_000 - 1_250 },
        { email: 'bob@drop.test', balance_cents: 50_000 + 1_250 },
      ]);
      await alice.page.goto(`${app.url}/`);
      expect(await alice.page.locator('[data-testid="transfers"] tbody tr').first().locator('td').allTextContents()).toEqual([
        expect.any(String),
        'to bob@drop.test',
        'Concert ticket',
        'paid by QR',
        '−€12.50',
      ]);

      // Paying the same code again is refused in words, by the bare code this time.
      await alice.page.goto(`${app.url}/pay?code=${code}`);
      expect(await alice.page.getByTestId('request-to-pay').getByRole('status').textContent()).toMatch(
        /^You paid €12\.50 to Bob Example on/,
      );

      // An expired request: the payee sees "expired", the payer is told to ask for a new code and cannot pay.
      await bob.page.goto(`${app.url}/qr`);
      await bob.page.getByLabel('Amount (EUR)').fill('3');
      await bob.page.getByRole('button', { name: 'Create QR code' }).click();
      await bob.page.waitForURL(/\/qr\/[\w-]{16,}$/);
      const expiredCode = new URL(bob.page.url()).pathname.split('/').pop()!;
      await db.db
        .updateTable('payment_requests')
        .set({ expires_at: Date.now() - 1_000 })
        .where('code', '=', expiredCode)
        .execute();
      await expect.poll(() => bob.page.getByTestId('request-state').textContent(), settled).toBe('expired');
      expect(await bob.page.locator('main').getByRole('status').textContent()).toMatch(/^This request expired on .+ without being paid\./);
      await bob.screenshot(`qr-request-expired-${dialect}`);
      await alice.page.goto(`${app.url}/pay`);
      await alice.page.getByLabel('Code or link').fill(expiredCode);
      await alice.page.getByRole('button', { name: 'Look up' }).click();
      await alice.page.waitForURL(/\/pay\?code=/);
      expect(await alice.page.getByTestId('request-state').textContent()).toBe('expired');
      await localized(alice.page);
      expect(await alice.page.getByTestId('request-to-pay').getByRole('status').textContent()).toMatch(
        /expired on \d{1,2} \w{3} \d{4}, \d\d:\d\d\. Ask Bob Example for a new code\./,
      );
      expect(await alice.page.getByTestId('request-to-pay').getByRole('button').count()).toBe(0);

      // Something that is not a code, and a code nobody issued.
      await alice.page.goto(`${app.url}/pay?code=${encodeURIComponent('https://evil.example/?code=abc')}`);
      expect(await alice.page.locator('main').getByRole('alert').textContent()).toMatch(
        /^This is neither a payment code nor a payment link\./,
      );
      await alice.page.goto(`${app.url}/pay?code=${crypto.randomBytes(16).toString('base64url')}`);
      expect(await alice.page.locator('main').getByRole('alert').textContent()).toBe(
        'No payment request has this code. Check the code or link and try again.',
      );
      await alice.screenshot(`pay-unknown-code-${dialect}`);

      expect(await bob.problems()).toEqual([]);
      expect(await alice.problems()).toEqual([]);
      await bob.close();
      await alice.close();
    },
  );

  it('a payer short of money is told so in words and can pay once topped up', { timeout: 60_000 }, async () => {
    const { app, signUp, setBalance } = fixture();
    const payee = await signUp({ name: 'Pat Payee' });
    const payer = await signUp({ name: 'Sam Short', balanceCents: 100 });
    const { code } = (await payee.client.post('/api/qr', { amountCents: 500, description: 'Taxi' })).body;
    const page = await watchedPage(browser);
    await page.context.addCookies([{ name: 'drop_session', value: payer.client.cookie('drop_session')!, url: app.url }]);
    await page.page.goto(`${app.url}/pay?code=${code}`);
    await page.page.getByRole('button', { name: 'Pay €5.00 to Pat Payee' }).click();
    await page.page.getByRole('button', { name: 'Confirm payment of €5.00' }).click();
    await expect
      .poll(() => page.page.locator('main').getByRole('alert').textContent(), settled)
      .toBe('Not paid: Your balance is too low for this payment.');
    await setBalance(payer.id, 1_000);
    await page.page.getByRole('button', { name: 'Pay €5.00 to Pat Payee' }).click();
    await page.page.getByRole('button', { name: 'Confirm payment of €5.00' }).click();
    await expect.poll(() => page.page.getByTestId('request-state').textContent(), settled).toBe('paid');
    expect(await page.problems({ expectedStatuses: [409] })).toEqual([]);
    await page.close();
  });

  it(
    'a failed send leaves no pending transfer; a pending one is shown with its note and Confirm / Cancel',
    { timeout: 90_000 },
    async () => {
      const { app, signUp, balanceOf, db } = fixture();
      const sender = await signUp({ name: 'Sue Sender', balanceCents: 1_000 });
      const recipient = await signUp({ name: 'Rex Recipient' });
      const page = await watchedPage(browser);
      await page.context.addCookies([{ name: 'drop_session', value: sender.client.cookie('drop_session')!, url: app.url }]);
      await page.page.goto(`${app.url}/`);

      // More than the balance: reviewed, then the confirm is refused; the form cancels the transfer it created and says so.
      const form = page.page.getByRole('form', { name: 'Send money' });
      await form.getByLabel('To (email)').fill(recipient.email);
      await form.getByLabel('Amount (EUR)').fill('25');
      await form.getByLabel('Note (optional)').fill('Too much');
      await form.getByRole('button', { name: 'Review' }).click();
      const review = page.page.getByTestId('send-review');
      expect(await review.getByTestId('review-name').textContent()).toBe('Rex Recipient');
      await review.getByRole('button', { name: 'Send €25.00' }).click();
      await expect
        .poll(() => form.getByRole('alert').textContent(), settled)
        .toBe('Not sent: Your balance is too low for this payment. Nothing was taken from your balance.');
      // The form keeps what was typed, to correct it.
      expect(await form.getByLabel('Amount (EUR)').inputValue()).toBe('25');
      const rows = page.page.locator('[data-testid="transfers"] tbody tr');
      await expect
        .poll(() => rows.first().locator('td').allTextContents(), settled)
        .toEqual([expect.any(String), `to ${recipient.email}`, 'Too much', 'cancelled not sent: your balance was too low', '−€25.00']);
      const stored = await db.db.selectFrom('transfers').select('status').where('from_user_id', '=', sender.id).execute();
      expect(stored).toEqual([{ status: 'cancelled' }]);
      await page.screenshot(`send-failed-cancelled-${dialect}`);

      // Two transfers left pending (created through the API, as another client of the API would): Confirm and Cancel.
      const pending = async (amountCents: number, note: string) =>
        (
          await sender.client.post(
            '/api/transfers',
            { toEmail: recipient.email, amountCents, note },
            { headers: { 'idempotency-key': crypto.randomUUID() } },
          )
        ).body.transfer.id as string;
      const toConfirm = await pending(300, 'Lunch');
      const toCancel = await pending(200, 'Coffee');
      await page.page.reload();
      const confirmRow = page.page.locator(`[data-transfer-id="${toConfirm}"]`);
      const cancelRow = page.page.locator(`[data-transfer-id="${toCancel}"]`);
      expect(await confirmRow.locator('td').nth(2).textContent()).toBe('Lunch');
      expect(await confirmRow.getByRole('button').allTextContents()).toEqual(['Confirm', 'Cancel']);
      await page.screenshot(`transfers-pending-${dialect}`);

      await cancelRow.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => cancelRow.locator('.badge').textContent(), settled).toBe('cancelled');
      expect(await cancelRow.getByRole('button').count()).toBe(0);
      await confirmRow.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => confirmRow.locator('.badge').textContent(), settled).toBe('completed');
      await expect.poll(() => page.page.getByTestId('balance').textContent(), settled).toBe('€7.00');
      expect(await balanceOf(sender.id)).toBe(700);
      expect(await balanceOf(recipient.id)).toBe(300);

      // The recipient sees only the money that moved, with its note, and no buttons.
      const other = await watchedPage(browser);
      await other.context.addCookies([{ name: 'drop_session', value: recipient.client.cookie('drop_session')!, url: app.url }]);
      await other.page.goto(`${app.url}/`);
      expect(await other.page.locator('[data-testid="transfers"] td.note').allTextContents()).toEqual(['Lunch']);
      expect(await other.page.locator('[data-testid="transfers"] button').count()).toBe(0);

      // A pending transfer confirmed elsewhere meanwhile: Cancel is refused (409) and the row catches up to the truth.
      const confirmedElsewhere = await pending(100, 'Raced');
      await page.page.reload();
      expect((await sender.client.post(`/api/transfers/${confirmedElsewhere}/confirm`)).status).toBe(200);
      const racedRow = page.page.locator(`[data-transfer-id="${confirmedElsewhere}"]`);
      await racedRow.getByRole('button', { name: 'Cancel' }).click();
      await expect.poll(() => racedRow.locator('.badge').textContent(), settled).toBe('completed');
      expect(await balanceOf(recipient.id)).toBe(400);
      await page.screenshot(`transfers-after-${dialect}`);

      expect(await page.problems({ expectedStatuses: [409] })).toEqual([]);
      expect(await other.problems()).toEqual([]);
      await page.close();
      await other.close();
    },
  );
});
