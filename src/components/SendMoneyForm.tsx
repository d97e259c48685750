'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api, ApiCallError, formatCents } from '@/lib/api-client';

interface TransferResponse {
  transfer: { id: string; amountCents: number; to: { email: string } };
}

export function SendMoneyForm() {
  const router = useRouter();
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const amount = Number(String(form.get('amount')).replace(',', '.'));
    const note = String(form.get('note') ?? '').trim();
    setBusy(true);
    setMessage(null);
    try {
      const { transfer } = await api<TransferResponse>('/api/transfers', {
        method: 'POST',
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: { toEmail: form.get('toEmail'), amountCents: Math.round(amount * 100), ...(note ? { note } : {}) },
      });
      await api(`/api/transfers/${transfer.id}/confirm`, { method: 'POST' });
      setMessage({ kind: 'success', text: `Sent ${formatCents(transfer.amountCents)} to ${transfer.to.email}` });
      formElement.reset();
      router.refresh();
    } catch (e) {
      setMessage({
        kind: 'error',
        text: e instanceof ApiCallError ? (e.body.error.issues?.[0]?.message ?? e.message) : 'Network error, try again',
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} aria-label="Send money">
      <label>
        To (email)
        <input name="toEmail" type="email" required />
      </label>
      <label>
        Amount (EUR)
        <input name="amount" type="number" min="0.01" step="0.01" required inputMode="decimal" />
      </label>
      <label>
        Note (optional)
        <input name="note" maxLength={140} />
      </label>
      {message && (
        <p className={message.kind} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Send
      </button>
    </form>
  );
}
