'use client';

import './globals.css';

/** Replaces the root layout when the layout itself fails; our own for the reason given in app/error.tsx. */
export default function GlobalError({ error }: { error: Error & { digest?: string } }) {
  return (
    <html lang="en">
      <body>
        <main className="container">
          <section className="card">
            <h1>Something went wrong</h1>
            <p className="muted">Drop could not be shown{error.digest ? ` (reference ${error.digest})` : ''}.</p>
          </section>
        </main>
      </body>
    </html>
  );
}
