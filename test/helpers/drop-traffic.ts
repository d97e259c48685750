// Traffic a real user base makes, for the tests that read the app's telemetry back from real backends: sign-ups (one
// with a taken email), logins that succeed and fail, transfers confirmed, cancelled and refused, QR payments, the
// admin's audit page, the health check and a bad request; so every route family, both DB outcomes and every business
// counter has data.
import crypto from 'node:crypto';
import type { ApiResponse } from './http-client';
import { uniqueAddress, uniqueEmail, type Stack } from './stack';

export interface TrafficRequest {
  method: string;
  path: string;
  status: number;
  requestId: string;
}

export async function makeTraffic(stack: Stack): Promise<TrafficRequest[]> {
  const made: TrafficRequest[] = [];
  const note = (method: string, path: string, res: ApiResponse) => {
    made.push({ method, path, status: res.status, requestId: res.headers.get('x-request-id') ?? '' });
    return res;
  };
  const sender = await stack.signUp({ balanceCents: 50_000 });
  const recipient = await stack.signUp();
  const send = (amountCents: number) =>
    sender.client.post(
      '/api/transfers',
      { toEmail: recipient.email, amountCents },
      { headers: { 'idempotency-key': crypto.randomUUID() } },
    );

  for (let round = 0; round < 3; round++) {
    const created = note('POST', '/api/transfers', await send(1_000 + round));
    const id = created.body.transfer.id as string;
    note('POST', `/api/transfers/${id}/confirm`, await sender.client.post(`/api/transfers/${id}/confirm`));
  }
  const cancelled = note('POST', '/api/transfers', await send(700));
  note('POST', '/api/transfers/{id}/cancel', await sender.client.post(`/api/transfers/${cancelled.body.transfer.id as string}/cancel`));
  // A transfer to nobody: a failure outcome on drop.transfers.
  note(
    'POST',
    '/api/transfers',
    await sender.client.post(
      '/api/transfers',
      { toEmail: uniqueEmail('nobody'), amountCents: 100 },
      { headers: { 'idempotency-key': crypto.randomUUID() } },
    ),
  );
  // A second account with a taken email: the INSERT fails on the unique index, a failed DB operation (error.type).
  note(
    'POST',
    '/api/auth/register',
    await stack
      .client()
      .post(
        '/api/auth/register',
        { email: sender.email, password: 'pw-another-one-123', name: 'Again' },
        { headers: { 'x-forwarded-for': uniqueAddress() } },
      ),
  );

  const qr = await recipient.client.post('/api/qr', { amountCents: 1_999, description: 'Pizza' });
  note('POST', '/api/qr', qr);
  note('POST', '/api/qr/{code}/pay', await sender.client.post(`/api/qr/${qr.body.code as string}/pay`));
  note('POST', '/api/qr/{code}/pay', await sender.client.post(`/api/qr/${qr.body.code as string}/pay`));

  note('POST', '/api/auth/login', await stack.client().login(sender.email, sender.password));
  note('POST', '/api/auth/login', await stack.client().login(sender.email, 'not-the-password'));
  const { client: admin } = await stack.signIn('admin@drop.test');
  note('GET', '/api/admin/audit', await admin.get('/api/admin/audit'));
  note('GET', '/api/account', await sender.client.get('/api/account'));
  note('GET', '/api/health', await stack.client().get('/api/health'));
  note('POST', '/api/qr', await recipient.client.post('/api/qr', { amountCents: -5 }));
  return made;
}
