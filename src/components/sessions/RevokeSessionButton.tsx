'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** Signs out one or more of the user's other sessions (one DELETE each) and re-renders the list. */
export function RevokeSessionButton({ sessionIds, label }: { sessionIds: string[]; label: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function revoke() {
    setBusy(true);
    setError(null);
    const failures: string[] = [];
    for (const id of sessionIds) {
      await api(`/api/sessions/${id}`, { method: 'DELETE' }).catch((e: unknown) => failures.push(describeApiError(e)));
    }
    if (failures.length > 0) setError([...new Set(failures)].join(' '));
    setBusy(false);
    router.refresh();
  }

  return (
    <span className="rowActions">
      <button type="button" className="small secondary" disabled={busy} onClick={revoke}>
        {label}
      </button>
      {error ? (
        <span className="error small" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}
