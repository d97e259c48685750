'use client';

import { useRouter } from 'next/navigation';
import { startTransition } from 'react';
import { DATABASE_UNAVAILABLE_DIGEST } from '@/lib/page-errors';

/**
 * Shown when a page fails while rendering (the error is reported on the server, with its trace id). Our own
 * because Next's built-in one styles itself inline, which the Content-Security-Policy refuses.
 */
export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  // reset() alone re-renders the payload that failed; a server component's error needs the server asked again.
  const tryAgain = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  if (error.digest === DATABASE_UNAVAILABLE_DIGEST) {
    return (
      <section className="card">
        <h1>Drop is temporarily unavailable</h1>
        <p className="muted">We cannot reach our database right now. Nothing was changed; try again in a moment.</p>
        <p>
          <button type="button" onClick={tryAgain}>
            Try again
          </button>
        </p>
      </section>
    );
  }
  return (
    <section className="card">
      <h1>Something went wrong</h1>
      <p className="muted">The page could not be shown{error.digest ? ` (reference ${error.digest})` : ''}.</p>
      <p>
        <button type="button" onClick={tryAgain}>
          Try again
        </button>
      </p>
    </section>
  );
}
