import Link from 'next/link';

/** Our own 404 page: Next's built-in one styles itself inline, which the Content-Security-Policy refuses. */
export default function NotFound() {
  return (
    <section className="card">
      <h1>404 · Not found</h1>
      <p className="muted">There is no page at this address.</p>
      <p>
        <Link href="/">Back to your dashboard</Link>
      </p>
    </section>
  );
}
