'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** Confirm (moves the money) or Cancel (moves nothing) a pending transfer the viewer sent. */
export function PendingTransferActions({ transferId }: { transferId: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function act(action: 'confirm' | 'cancel') {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/transfers/${transferId}/${action}`, { method: 'POST' });
      router.refresh();
    } catch (e) {
      setError(describeApiError(e));
      router.refresh();
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="rowActions below">
      <span className="buttonPair">
        <button type="button" className="small" disabled={busy} onClick={() => act('confirm')}>
          Confirm
        </button>
        <button type="button" className="small secondary" disabled={busy} onClick={() => act('cancel')}>
          Cancel
        </button>
      </span>
      {error ? (
        <p className="error small" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
