'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** Creates a payment request and opens its page, where the QR code is shown. */
export function PaymentRequestForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const amount = Number(String(form.get('amount')).replace(',', '.'));
    const description = String(form.get('description') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const { code } = await api<{ code: string }>('/api/qr', {
        method: 'POST',
        body: { amountCents: Math.round(amount * 100), ...(description ? { description } : {}) },
      });
      router.push(`/qr/${code}`);
    } catch (e) {
      setError(describeApiError(e));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} aria-label="Request money">
      <label>
        Amount (EUR)
        <input name="amount" type="number" min="0.01" step="0.01" required inputMode="decimal" />
      </label>
      <label>
        What for (optional)
        <input name="description" maxLength={140} placeholder="e.g. Pizza night" />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Create QR code
      </button>
    </form>
  );
}
