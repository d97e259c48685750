'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, formatCents } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** Pays a payment request the payer has looked at; the page then re-renders with its new state ("You paid this…"). */
export function PayButton({ code, amountCents, payeeName }: { code: string; amountCents: number; payeeName: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function pay() {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/qr/${encodeURIComponent(code)}/pay`, { method: 'POST' });
    } catch (e) {
      setError(describeApiError(e));
    } finally {
      setBusy(false);
      router.refresh();
    }
  }

  return (
    <div className="payAction">
      <button type="button" disabled={busy} onClick={pay}>
        Pay {formatCents(amountCents)} to {payeeName}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
