'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** The identity check: name, date of birth and one document; the page shows the review status once sent. */
export function KycForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await api('/api/kyc', {
        method: 'POST',
        body: {
          fullName: form.get('fullName'),
          dateOfBirth: form.get('dateOfBirth'),
          documentType: form.get('documentType'),
          documentNumber: form.get('documentNumber'),
        },
      });
      router.refresh();
    } catch (e) {
      setError(describeApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} aria-label="Verify your identity">
      <label>
        Full name, as on the document
        <input name="fullName" required maxLength={200} autoComplete="name" />
      </label>
      <label>
        Date of birth
        <input name="dateOfBirth" type="date" required autoComplete="bday" />
      </label>
      <label>
        Document type
        <select name="documentType" required defaultValue="passport">
          <option value="passport">Passport</option>
          <option value="id_card">ID card</option>
          <option value="driving_licence">Driving licence</option>
        </select>
      </label>
      <label>
        Document number
        <input name="documentNumber" required minLength={5} maxLength={40} autoComplete="off" />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Send for review
      </button>
    </form>
  );
}
