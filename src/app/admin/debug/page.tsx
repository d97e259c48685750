import Link from 'next/link';
import { forbidden } from 'next/navigation';
import { MonitoringCheckButtons } from '@/components/admin/MonitoringCheckButtons';
import { requireUser } from '@/server/current-user';

export const dynamic = 'force-dynamic';

/** Admin only: deliberate errors, so an operator can see each kind arrive in Sentry, the logs and the traces. */
export default async function MonitoringChecksPage() {
  const user = await requireUser('/admin/debug');
  if (user.role !== 'admin') forbidden();
  return (
    <section className="card">
      <h1>Monitoring checks</h1>
      <p className="muted">
        Each button raises one deliberate error. With Sentry configured, each becomes exactly one Sentry event on the same trace as its
        request&apos;s spans and log lines.
      </p>
      <MonitoringCheckButtons />
      <p>
        <Link href="/admin/debug/server-error">Throw while rendering on the server</Link>
      </p>
    </section>
  );
}
