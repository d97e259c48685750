'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api, ApiCallError, formatCents } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

interface TransferResponse {
  transfer: { id: string; amountCents: number; to: { email: string } };
}

/**
 * Sending is two calls (create, then confirm). When the confirm fails the form cancels the transfer it created,
 * so a failed send leaves nothing pending; should even the cancel fail, the transfer is listed with Confirm / Cancel.
 */
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
    let created: TransferResponse['transfer'] | undefined;
    try {
      ({ transfer: created } = await api<TransferResponse>('/api/transfers', {
        method: 'POST',
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: { toEmail: form.get('toEmail'), amountCents: Math.round(amount * 100), ...(note ? { note } : {}) },
      }));
      await api(`/api/transfers/${created.id}/confirm`, { method: 'POST' });
      setMessage({ kind: 'success', text: `Sent ${formatCents(created.amountCents)} to ${created.to.email}` });
      formElement.reset();
    } catch (e) {
      setMessage({ kind: 'error', text: `Not sent: ${describeApiError(e)}${created ? await cancelAfterFailure(created.id) : ''}` });
    } finally {
      setBusy(false);
      router.refresh();
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

/** The tail of the failure message: what became of the transfer that was created but not confirmed. */
async function cancelAfterFailure(transferId: string): Promise<string> {
  try {
    await api(`/api/transfers/${transferId}/cancel`, { method: 'POST' });
    return ' Nothing was taken from your balance.';
  } catch (error) {
    // Not pending any more: the confirm went through after all (its answer was what got lost).
    if (error instanceof ApiCallError && error.code === 'transfer_not_pending') return ' It may have gone through: check the list below.';
    return ' The transfer is still pending: confirm or cancel it in the list below.';
  }
}
