'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';

/** Sign in or create an account, then go to `next` (already checked to be a path of this app). */
export function LoginForm({ next }: { next: string }) {
  const router = useRouter();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body =
      mode === 'login'
        ? { email: form.get('email'), password: form.get('password') }
        : { email: form.get('email'), password: form.get('password'), name: form.get('name') };
    setBusy(true);
    setError(null);
    try {
      await api(`/api/auth/${mode}`, { method: 'POST', body });
      router.replace(next);
      router.refresh();
    } catch (e) {
      setError(describeApiError(e));
    } finally {
      setBusy(false);
    }
  }

  function toggleMode() {
    setMode(mode === 'login' ? 'register' : 'login');
    // An error belongs to the attempt it answered, not to the other form.
    setError(null);
  }

  return (
    <>
      <h1>{mode === 'login' ? 'Sign in to Drop' : 'Create your Drop account'}</h1>
      <form onSubmit={onSubmit} aria-label={mode === 'login' ? 'Sign in' : 'Create account'}>
        {mode === 'register' && (
          <label>
            Name
            <input name="name" required maxLength={100} autoComplete="name" />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            aria-describedby={mode === 'register' ? 'password-rules' : undefined}
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          />
        </label>
        {mode === 'register' && (
          <p className="muted" id="password-rules">
            At least 10 characters. A few unrelated words are easy to remember and hard to guess.
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
        <button type="button" className="secondary" onClick={toggleMode}>
          {mode === 'login' ? 'New here? Create an account' : 'Have an account? Sign in'}
        </button>
      </form>
    </>
  );
}
