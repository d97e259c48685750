import Link from 'next/link';

/** Rendered with status 403 when a page calls forbidden() (signed in, but not allowed). */
export default function Forbidden() {
  return (
    <section className="card">
      <h1>403 · Not allowed</h1>
      <p className="muted">Your account does not have access to this page.</p>
      <p>
        <Link href="/">Back to your dashboard</Link>
      </p>
    </section>
  );
}
