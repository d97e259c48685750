import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { ChangePasswordForm } from '@/components/sessions/ChangePasswordForm';
import { RevokeSessionButton } from '@/components/sessions/RevokeSessionButton';
import { describeUserAgent } from '@/lib/user-agent';
import { currentSession } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { listSessions } from '@/server/domain/sessions';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Security · Drop' };

const when = (iso: string) => new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' });

export default async function SessionsPage() {
  const signedIn = await currentSession();
  if (!signedIn) redirect('/login');
  const { db } = await getDatabase();
  const sessions = await listSessions(db, signedIn.user.id, signedIn.session.id);
  const others = sessions.filter((s) => !s.current);
  return (
    <>
      <section className="card">
        <div className="row">
          <h1>Where you are signed in</h1>
          {others.length > 0 ? <RevokeSessionButton sessionIds={others.map((s) => s.id)} label="Sign out all other sessions" /> : null}
        </div>
        <p className="muted">If you do not recognise a session, sign it out and change your password.</p>
        <table data-testid="sessions">
          <thead>
            <tr>
              <th>Device</th>
              <th>IP address</th>
              <th>Signed in (UTC)</th>
              <th>Last active (UTC)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-session-id={s.id}>
                <td title={s.userAgent ?? undefined}>{describeUserAgent(s.userAgent)}</td>
                <td className="mono">{s.ip ?? '—'}</td>
                <td>{when(s.createdAt)}</td>
                <td>{when(s.lastSeenAt)}</td>
                <td className="amount">
                  {s.current ? (
                    <span className="badge completed">this device</span>
                  ) : (
                    <RevokeSessionButton sessionIds={[s.id]} label="Sign out" />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card">
        <h2>Change your password</h2>
        <ChangePasswordForm />
      </section>
    </>
  );
}
