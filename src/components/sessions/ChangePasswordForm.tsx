'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** A new password; the API signs out every other session, so the list above is re-rendered. */
export function ChangePasswordForm() {
  const router = useRouter();
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    if (form.get('newPassword') !== form.get('confirmPassword')) {
      setMessage({ kind: 'error', text: 'The two new passwords do not match.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await api('/api/auth/password', {
        method: 'POST',
        body: { currentPassword: form.get('currentPassword'), newPassword: form.get('newPassword') },
      });
      formElement.reset();
      setMessage({ kind: 'success', text: 'Password changed. Every other session has been signed out.' });
      router.refresh();
    } catch (e) {
      setMessage({ kind: 'error', text: describeApiError(e) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} aria-label="Change password">
      <label>
        Current password
        <input name="currentPassword" type="password" required autoComplete="current-password" />
      </label>
      <label>
        New password (at least 10 characters)
        <input name="newPassword" type="password" required minLength={10} autoComplete="new-password" />
      </label>
      <label>
        New password again
        <input name="confirmPassword" type="password" required minLength={10} autoComplete="new-password" />
      </label>
      {message && (
        <p className={message.kind} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Change password
      </button>
    </form>
  );
}
