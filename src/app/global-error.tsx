'use client';

import './globals.css';
import { DATABASE_UNAVAILABLE_DIGEST } from '@/lib/page-errors';

/** Replaces the root layout when the layout itself fails; our own for the reason given in app/error.tsx. */
export default function GlobalError({ error }: { error: Error & { digest?: string } }) {
  // The top bar looks the session up: with the database away, the root layout is what fails.
  const unavailable = error.digest === DATABASE_UNAVAILABLE_DIGEST;
  return (
    <html lang="en">
      <body>
        <main className="container">
          <section className="card">
            {unavailable ? (
              <>
                <h1>Drop is temporarily unavailable</h1>
                <p className="muted">We cannot reach our database right now. Nothing was changed; try again in a moment.</p>
              </>
            ) : (
              <>
                <h1>Something went wrong</h1>
                <p className="muted">Drop could not be shown{error.digest ? ` (reference ${error.digest})` : ''}.</p>
              </>
            )}
          </section>
        </main>
      </body>
    </html>
  );
}
