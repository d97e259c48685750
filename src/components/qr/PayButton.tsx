'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, formatCents } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

interface Payee {
  name: string;
  email: string;
}

/**
 * Pays a payment request in two steps: "Pay …" opens a review (whom, how much, what for) and only "Confirm payment"
 * moves the money. The page then re-renders with its receipt ("You paid …").
 */
export function PayButton({
  code,
  amountCents,
  payee,
  description,
}: {
  code: string;
  amountCents: number;
  payee: Payee;
  description: string | null;
}) {
  const router = useRouter();
  const [reviewing, setReviewing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function pay() {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/qr/${encodeURIComponent(code)}/pay`, { method: 'POST' });
    } catch (e) {
      setError(`Not paid: ${describeApiError(e)}`);
      setReviewing(false);
    } finally {
      setBusy(false);
      router.refresh();
    }
  }

  if (reviewing) {
    return (
      <section aria-label="Review your payment" className="review" data-testid="pay-review">
        <h3>Check before you pay</h3>
        <dl className="facts">
          <dt>To</dt>
          <dd>
            <strong data-testid="review-name">{payee.name}</strong>
            <br />
            <span className="muted" data-testid="review-email">
              {payee.email}
            </span>
          </dd>
          <dt>Amount</dt>
          <dd className="reviewAmount" data-testid="review-amount">
            {formatCents(amountCents)}
          </dd>
          <dt>For</dt>
          <dd data-testid="review-note">{description ?? <span className="muted">no description</span>}</dd>
        </dl>
        <div className="buttonRow">
          <button type="button" disabled={busy} onClick={pay}>
            Confirm payment of {formatCents(amountCents)}
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => setReviewing(false)}>
            Back
          </button>
        </div>
      </section>
    );
  }

  return (
    <div className="payAction">
      <button type="button" onClick={() => setReviewing(true)}>
        Pay {formatCents(amountCents)} to {payee.name}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
