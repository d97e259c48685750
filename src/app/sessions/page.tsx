import type { Metadata } from 'next';
import { LocalTime } from '@/components/LocalTime';
import { ChangePasswordForm } from '@/components/sessions/ChangePasswordForm';
import { RevokeSessionButton } from '@/components/sessions/RevokeSessionButton';
import { describeUserAgent } from '@/lib/user-agent';
import { requireSession } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { listSessions } from '@/server/domain/sessions';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Security · Drop' };

export default async function SessionsPage() {
  const signedIn = await requireSession('/sessions');
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
        <table data-testid="sessions" className="stack">
          <thead>
            <tr>
              <th>Device</th>
              <th>IP address</th>
              <th>Signed in</th>
              <th>Last active</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-session-id={s.id}>
                <td title={s.userAgent ?? undefined} data-label="Device">
                  {describeUserAgent(s.userAgent)}
                </td>
                <td className="mono" data-label="IP address">
                  {s.ip ?? '—'}
                </td>
                <td data-label="Signed in">
                  <LocalTime iso={s.createdAt} />
                </td>
                <td data-label="Last active">
                  <LocalTime iso={s.lastSeenAt} relative />
                </td>
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
