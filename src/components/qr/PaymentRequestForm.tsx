'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { AmountField } from '@/components/AmountField';
import { parseAmount } from '@/lib/amount';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';
import { useDraft } from '@/lib/use-draft';

const EMPTY = { amount: '', description: '' };

/** Creates a payment request and opens its page, where the QR code is shown. What is typed is kept as a draft until then. */
export function PaymentRequestForm() {
  const router = useRouter();
  const [fields, setFields, clearDraft] = useDraft('request', EMPTY);
  const [amountError, setAmountError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const amount = parseAmount(fields.amount);
    setAmountError(amount.ok ? null : amount.message);
    setError(null);
    if (!amount.ok) return;
    const description = fields.description.trim();
    setBusy(true);
    try {
      const { code } = await api<{ code: string }>('/api/qr', {
        method: 'POST',
        body: { amountCents: amount.cents, ...(description ? { description } : {}) },
      });
      clearDraft();
      router.push(`/qr/${code}`);
    } catch (e) {
      setError(describeApiError(e));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} aria-label="Request money">
      <AmountField
        value={fields.amount}
        onChange={(amount) => {
          setFields({ amount });
          // What was refused is gone: the hint says again what is being typed.
          setAmountError(null);
        }}
        error={amountError}
      />
      <label>
        What for (optional)
        <input
          name="description"
          maxLength={140}
          placeholder="e.g. Pizza night"
          value={fields.description}
          onChange={(e) => setFields({ description: e.target.value })}
        />
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
