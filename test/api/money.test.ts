import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/databases';
import { useStack, type SignedUpUser } from '../helpers/stack';
import type { HttpClient } from '../helpers/http-client';

const errorBody = (code: string) => ({ error: { code, message: expect.any(String) } });
const newKey = () => crypto.randomUUID();

function sendMoney(client: HttpClient, body: unknown, key = newKey()) {
  return client.post('/api/transfers', body, { headers: { 'idempotency-key': key } });
}

describe.each(DIALECTS)('money API on %s', (dialect) => {
  const fixture = useStack({ dialect });

  /** A funded sender and an empty recipient, both registered through the API. */
  async function twoUsers(senderCents = 10_000): Promise<{ sender: SignedUpUser; recipient: SignedUpUser }> {
    return { sender: await fixture().signUp({ balanceCents: senderCents }), recipient: await fixture().signUp() };
  }

  describe('GET /api/account', () => {
    it('answers 200 with the user and the balance in cents', async () => {
      const { client, id, email } = await fixture().signUp({ balanceCents: 12_345 });
      const res = await client.get('/api/account');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        user: { id, email, name: 'Test User', role: 'user', createdAt: expect.any(String) },
        balanceCents: 12_345,
      });
    });
  });

  describe('POST /api/transfers', () => {
    it('answers 201 with a pending transfer and moves no money yet', async () => {
      const { sender, recipient } = await twoUsers();
      const res = await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 2_500, note: 'concert' });
      expect(res.status).toBe(201);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expect(res.body.transfer).toEqual({
        id: expect.any(String),
        kind: 'transfer',
        direction: 'sent',
        from: { id: sender.id, email: sender.email, name: sender.name },
        to: { id: recipient.id, email: recipient.email, name: recipient.name },
        amountCents: 2_500,
        note: 'concert',
        status: 'pending',
        failureReason: null,
        createdAt: expect.any(String),
        completedAt: null,
      });
      expect(await fixture().balanceOf(sender.id)).toBe(10_000);
    });

    it('replays the same transfer for the same Idempotency-Key and body', async () => {
      const { sender, recipient } = await twoUsers();
      const key = newKey();
      const first = await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 }, key);
      const again = await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 }, key);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.transfer).toEqual(first.body.transfer);
      expect((await sender.client.get('/api/transfers')).body.transfers).toHaveLength(1);
    });

    it('answers 409 idempotency_key_reused for the same key with another body', async () => {
      const { sender, recipient } = await twoUsers();
      const key = newKey();
      await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 }, key);
      const res = await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 200 }, key);
      expect(res.status).toBe(409);
      expect(res.body).toEqual(errorBody('idempotency_key_reused'));
    });

    it.each([
      ['missing', undefined],
      ['too short', 'short'],
      ['not visible ASCII', 'key with spaces in it'],
    ])('answers 400 when the Idempotency-Key header is %s', async (_case, key) => {
      const { sender, recipient } = await twoUsers();
      const res = await sender.client.post(
        '/api/transfers',
        { toEmail: recipient.email, amountCents: 100 },
        {
          headers: key === undefined ? {} : { 'idempotency-key': key },
        },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    });

    it.each([
      ['zero', 0],
      ['negative', -100],
      ['fractional', 10.5],
      ['a string', '100'],
      ['over the maximum', 100_000_001],
      ['not a safe integer', 1e300],
    ])('answers 400 invalid_request for an amount that is %s', async (_case, amountCents) => {
      const { sender, recipient } = await twoUsers();
      const res = await sendMoney(sender.client, { toEmail: recipient.email, amountCents });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.issues).toContainEqual({ path: 'amountCents', message: expect.any(String) });
    });

    it('answers 400 for unknown fields, a bad email or a note over 140 characters', async () => {
      const { sender, recipient } = await twoUsers();
      for (const body of [
        { toEmail: recipient.email, amountCents: 100, fromUserId: recipient.id },
        { toEmail: 'not-an-email', amountCents: 100 },
        { toEmail: recipient.email, amountCents: 100, note: 'n'.repeat(141) },
      ]) {
        const res = await sendMoney(sender.client, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
      expect((await sender.client.get('/api/transfers')).body.transfers).toEqual([]);
    });

    it('answers 404 recipient_not_found for an unknown email and 400 self_transfer to oneself', async () => {
      const { sender } = await twoUsers();
      const unknown = await sendMoney(sender.client, { toEmail: 'nobody@example.test', amountCents: 100 });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual(errorBody('recipient_not_found'));
      const self = await sendMoney(sender.client, { toEmail: sender.email, amountCents: 100 });
      expect(self.status).toBe(400);
      expect(self.body).toEqual(errorBody('self_transfer'));
    });
  });

  describe('POST /api/transfers/{id}/confirm', () => {
    it('answers 200 with the completed transfer and moves the money', async () => {
      const { sender, recipient } = await twoUsers();
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 2_500 })).body;
      const res = await sender.client.post(`/api/transfers/${transfer.id}/confirm`);
      expect(res.status).toBe(200);
      expect(res.body.transfer).toMatchObject({ id: transfer.id, status: 'completed', completedAt: expect.any(String) });
      expect((await sender.client.get('/api/account')).body.balanceCents).toBe(7_500);
      expect((await recipient.client.get('/api/account')).body.balanceCents).toBe(2_500);
    });

    it('answers 409 transfer_not_pending when confirmed again, moving nothing more', async () => {
      const { sender, recipient } = await twoUsers();
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 1_000 })).body;
      expect((await sender.client.post(`/api/transfers/${transfer.id}/confirm`)).status).toBe(200);
      const again = await sender.client.post(`/api/transfers/${transfer.id}/confirm`);
      expect(again.status).toBe(409);
      expect(again.body).toEqual(errorBody('transfer_not_pending'));
      expect(await fixture().balanceOf(sender.id)).toBe(9_000);
    });

    it('answers 409 insufficient_funds when the balance is short, leaving the transfer pending', async () => {
      const { sender, recipient } = await twoUsers(999);
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 1_000 })).body;
      const res = await sender.client.post(`/api/transfers/${transfer.id}/confirm`);
      expect(res.status).toBe(409);
      expect(res.body).toEqual(errorBody('insufficient_funds'));
      const [listed] = (await sender.client.get('/api/transfers')).body.transfers;
      expect(listed).toMatchObject({ id: transfer.id, status: 'pending' });
      expect(await fixture().balanceOf(sender.id)).toBe(999);
      expect(await fixture().balanceOf(recipient.id)).toBe(0);
    });

    it("answers 404 for an unknown transfer and for someone else's, even the recipient's view of it", async () => {
      const { sender, recipient } = await twoUsers();
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 })).body;
      const foreign = await recipient.client.post(`/api/transfers/${transfer.id}/confirm`);
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual(errorBody('transfer_not_found'));
      expect((await sender.client.post(`/api/transfers/${crypto.randomUUID()}/confirm`)).status).toBe(404);
    });

    it('moves the money exactly once when the same transfer is confirmed by parallel requests', async () => {
      const { sender, recipient } = await twoUsers(10_000);
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 6_000 })).body;
      await sender.client.fetchCsrfToken();
      const responses = await Promise.all(Array.from({ length: 8 }, () => sender.client.post(`/api/transfers/${transfer.id}/confirm`)));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of responses.filter((x) => x.status === 409)) expect(r.body).toEqual(errorBody('transfer_not_pending'));
      expect(await fixture().balanceOf(sender.id)).toBe(4_000);
      expect(await fixture().balanceOf(recipient.id)).toBe(6_000);
    });
  });

  describe('POST /api/transfers/{id}/cancel', () => {
    const auditRowsOf = (transferId: string) =>
      fixture()
        .db.db.selectFrom('audit_log')
        .select(['action', 'outcome', 'user_id', 'resource', 'request_id'])
        .where('resource', '=', `transfer:${transferId}`)
        .orderBy('id')
        .execute();

    it('answers 200 with the cancelled transfer, moves no money, and records transfer_cancelled', async () => {
      const { sender, recipient } = await twoUsers(500);
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 2_500, note: 'rent' })).body;
      const short = await sender.client.post(`/api/transfers/${transfer.id}/confirm`);
      expect(short.body).toEqual(errorBody('insufficient_funds'));
      const res = await sender.client.post(`/api/transfers/${transfer.id}/cancel`);
      expect(res.status).toBe(200);
      // The refusal stays with the transfer: its sender sees why it did not go through; its recipient sees nothing.
      const ended = { ...transfer, status: 'cancelled', failureReason: 'insufficient_funds' };
      expect(res.body.transfer).toEqual(ended);
      expect((await sender.client.get('/api/transfers')).body.transfers).toEqual([ended]);
      expect((await recipient.client.get('/api/transfers')).body.transfers).toEqual([]);
      expect(await fixture().balanceOf(sender.id)).toBe(500);
      expect(await fixture().balanceOf(recipient.id)).toBe(0);
      expect(await auditRowsOf(transfer.id)).toEqual([
        {
          action: 'transfer_initiated',
          outcome: 'success',
          user_id: sender.id,
          resource: `transfer:${transfer.id}`,
          request_id: expect.any(String),
        },
        {
          action: 'transfer_completed',
          outcome: 'failure',
          user_id: sender.id,
          resource: `transfer:${transfer.id}`,
          request_id: short.headers.get('x-request-id'),
        },
        {
          action: 'transfer_cancelled',
          outcome: 'success',
          user_id: sender.id,
          resource: `transfer:${transfer.id}`,
          request_id: res.headers.get('x-request-id'),
        },
      ]);
    });

    it('answers 409 transfer_not_pending for a completed or an already cancelled transfer, recording the refusal', async () => {
      const { sender, recipient } = await twoUsers();
      const completed = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 })).body.transfer;
      expect((await sender.client.post(`/api/transfers/${completed.id}/confirm`)).status).toBe(200);
      const late = await sender.client.post(`/api/transfers/${completed.id}/cancel`);
      expect(late.status).toBe(409);
      expect(late.body).toEqual(errorBody('transfer_not_pending'));
      expect(await fixture().balanceOf(recipient.id)).toBe(100);

      const cancelled = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 200 })).body.transfer;
      expect((await sender.client.post(`/api/transfers/${cancelled.id}/cancel`)).status).toBe(200);
      const twice = await sender.client.post(`/api/transfers/${cancelled.id}/cancel`);
      expect(twice.status).toBe(409);
      expect(twice.body).toEqual(errorBody('transfer_not_pending'));
      const confirmAfter = await sender.client.post(`/api/transfers/${cancelled.id}/confirm`);
      expect(confirmAfter.status).toBe(409);
      expect(await fixture().balanceOf(recipient.id)).toBe(100);
      const entries = async (id: string) => (await auditRowsOf(id)).map((r) => `${r.action} ${r.outcome}`);
      expect(await entries(completed.id)).toEqual([
        'transfer_initiated success',
        'transfer_completed success',
        'transfer_cancelled failure',
      ]);
      expect(await entries(cancelled.id)).toEqual([
        'transfer_initiated success',
        'transfer_cancelled success',
        'transfer_cancelled failure',
        'transfer_completed failure',
      ]);
    });

    it("answers 404 for someone else's transfer (the recipient's too) and an unknown one, leaving it pending", async () => {
      const { sender, recipient } = await twoUsers();
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 })).body;
      const stranger = await fixture().signUp();
      for (const client of [recipient.client, stranger.client]) {
        const res = await client.post(`/api/transfers/${transfer.id}/cancel`);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(errorBody('transfer_not_found'));
      }
      expect((await sender.client.post(`/api/transfers/${crypto.randomUUID()}/cancel`)).status).toBe(404);
      expect((await sender.client.get('/api/transfers')).body.transfers[0]).toMatchObject({ id: transfer.id, status: 'pending' });
      expect((await auditRowsOf(transfer.id)).map((r) => [r.action, r.outcome, r.user_id])).toEqual([
        ['transfer_initiated', 'success', sender.id],
        ['transfer_cancelled', 'failure', recipient.id],
        ['transfer_cancelled', 'failure', stranger.id],
      ]);
    });

    it('answers 401 signed out and 403 without the CSRF token', async () => {
      const { sender, recipient } = await twoUsers();
      const { transfer } = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 })).body;
      expect((await fixture().client().post(`/api/transfers/${transfer.id}/cancel`)).status).toBe(401);
      const noCsrf = await sender.client.request('POST', `/api/transfers/${transfer.id}/cancel`, { csrf: false });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body).toEqual(errorBody('csrf_failed'));
    });
  });

  describe('GET /api/transfers', () => {
    it("answers 200 with the user's transfers, sent and received, newest first; received ones only once the money moved", async () => {
      const { sender, recipient } = await twoUsers();
      await fixture().setBalance(recipient.id, 5_000);
      const first = (await sendMoney(sender.client, { toEmail: recipient.email, amountCents: 100 })).body.transfer;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = (await sendMoney(recipient.client, { toEmail: sender.email, amountCents: 200 })).body.transfer;
      const listed = async () =>
        (await sender.client.get('/api/transfers')).body.transfers.map((t: { id: string; direction: string }) => [t.id, t.direction]);
      // Pending, `second` has moved nothing yet: its recipient does not see it.
      expect(await listed()).toEqual([[first.id, 'sent']]);
      expect((await recipient.client.post(`/api/transfers/${second.id}/confirm`)).status).toBe(200);
      const res = await sender.client.get('/api/transfers');
      expect(res.status).toBe(200);
      expect(await listed()).toEqual([
        [second.id, 'received'],
        [first.id, 'sent'],
      ]);
      const outsider = await fixture().signUp();
      expect((await outsider.client.get('/api/transfers')).body).toEqual({ transfers: [] });
    });
  });

  describe('QR payment requests', () => {
    it('POST /api/qr answers 201 with a code, the https link to /pay (here: the request origin) and a drop://pay URI', async () => {
      const { client } = await fixture().signUp();
      const res = await client.post('/api/qr', { amountCents: 1_999, description: 'Pizza' });
      expect(res.status).toBe(201);
      expect(res.body.code).toMatch(/^[\w-]{16,}$/);
      expect(res.body.payUrl).toBe(`${fixture().app.url}/pay?code=${res.body.code}`);
      expect(res.body.payload).toBe(`drop://pay?code=${res.body.code}&amount=1999&currency=EUR&description=Pizza`);
      expect(res.body.request).toMatchObject({ code: res.body.code, amountCents: 1_999, status: 'open' });
    });

    it.each([
      ['zero', { amountCents: 0 }],
      ['too large', { amountCents: 100_000_001 }],
      ['an unknown field', { amountCents: 100, payee: 'me' }],
      ['an empty description', { amountCents: 100, description: '' }],
    ])('POST /api/qr answers 400 for an amount or body that is %s', async (_case, body) => {
      const { client } = await fixture().signUp();
      const res = await client.post('/api/qr', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    });

    it('POST /api/qr/{code}/pay answers 200 with the payment and moves the money; paying twice is 409', async () => {
      const payee = await fixture().signUp();
      const payer = await fixture().signUp({ balanceCents: 5_000 });
      const { code } = (await payee.client.post('/api/qr', { amountCents: 1_999 })).body;
      const res = await payer.client.post(`/api/qr/${code}/pay`);
      expect(res.status).toBe(200);
      expect(res.body.payment).toMatchObject({
        code,
        amountCents: 1_999,
        paidAt: expect.any(String),
        transfer: { kind: 'qr_payment', status: 'completed', from: { id: payer.id }, to: { id: payee.id } },
      });
      expect(await fixture().balanceOf(payer.id)).toBe(3_001);
      expect(await fixture().balanceOf(payee.id)).toBe(1_999);

      const twice = await payer.client.post(`/api/qr/${code}/pay`);
      expect(twice.status).toBe(409);
      expect(twice.body).toEqual(errorBody('qr_already_paid'));
      expect(await fixture().balanceOf(payer.id)).toBe(3_001);
    });

    it('answers 400 own_payment_request for the payee, 404 for an unknown code, 409 when the payer is short', async () => {
      const payee = await fixture().signUp();
      const poor = await fixture().signUp({ balanceCents: 10 });
      const { code } = (await payee.client.post('/api/qr', { amountCents: 500 })).body;
      const own = await payee.client.post(`/api/qr/${code}/pay`);
      expect(own.status).toBe(400);
      expect(own.body).toEqual(errorBody('own_payment_request'));
      const unknown = await poor.client.post('/api/qr/no-such-code/pay');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual(errorBody('qr_not_found'));
      const short = await poor.client.post(`/api/qr/${code}/pay`);
      expect(short.status).toBe(409);
      expect(short.body).toEqual(errorBody('insufficient_funds'));
      expect(await fixture().balanceOf(poor.id)).toBe(10);
    });

    it('takes one payment when two payers pay the same code in parallel', async () => {
      const payee = await fixture().signUp();
      const payers = [await fixture().signUp({ balanceCents: 1_000 }), await fixture().signUp({ balanceCents: 1_000 })];
      const { code } = (await payee.client.post('/api/qr', { amountCents: 700 })).body;
      await Promise.all(payers.map((p) => p.client.fetchCsrfToken()));
      const responses = await Promise.all(payers.map((p) => p.client.post(`/api/qr/${code}/pay`)));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(await fixture().balanceOf(payee.id)).toBe(700);
      expect([await fixture().balanceOf(payers[0]!.id), await fixture().balanceOf(payers[1]!.id)].sort()).toEqual([1_000, 300].sort());
    });
  });

  describe('POST /api/kyc', () => {
    const kyc = { fullName: 'Ann Example', dateOfBirth: '1990-04-01', documentType: 'id_card', documentNumber: 'ID-4455 66789' };

    it('answers 202 submitted and stores the document number only hashed, with its last 4', async () => {
      const { client, id } = await fixture().signUp();
      const res = await client.post('/api/kyc', kyc);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'submitted' });
      const rows = await fixture().db.db.selectFrom('kyc_submissions').selectAll().where('user_id', '=', id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ document_type: 'id_card', document_last4: '6789', status: 'submitted' });
      expect(rows[0]!.document_number_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows[0])).not.toMatch(/445566/);
    });

    it('answers 409 kyc_already_submitted for a second submission', async () => {
      const { client } = await fixture().signUp();
      expect((await client.post('/api/kyc', kyc)).status).toBe(202);
      const again = await client.post('/api/kyc', kyc);
      expect(again.status).toBe(409);
      expect(again.body).toEqual(errorBody('kyc_already_submitted'));
    });

    const under18 = new Date(Date.now() - 17 * 365.25 * 24 * 3_600_000).toISOString().slice(0, 10);
    it.each([
      ['an applicant under 18', { ...kyc, dateOfBirth: under18 }, 'dateOfBirth'],
      ['a date that is not ISO', { ...kyc, dateOfBirth: '01/04/1990' }, 'dateOfBirth'],
      ['an unknown document type', { ...kyc, documentType: 'library_card' }, 'documentType'],
      ['a document number with symbols', { ...kyc, documentNumber: 'AB<script>' }, 'documentNumber'],
      ['a missing full name', { ...kyc, fullName: undefined }, 'fullName'],
    ])('answers 400 for %s', async (_case, body, path) => {
      const { client } = await fixture().signUp();
      const res = await client.post('/api/kyc', body);
      expect(res.status).toBe(400);
      expect(res.body.error.issues).toContainEqual({ path, message: expect.any(String) });
    });
  });
});
