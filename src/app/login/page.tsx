import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/LoginForm';
import { safeNextPath } from '@/lib/next-path';
import { serverConfig } from '@/server/config';
import { currentUser } from '@/server/current-user';

export const dynamic = 'force-dynamic';

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** Signs in, then goes back to the page that asked (`?next=`, a path of this app only: see safeNextPath). */
export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).next;
  const next = safeNextPath(Array.isArray(raw) ? raw[0] : raw);
  if (await currentUser()) redirect(next);
  return (
    <section className="card">
      {next !== '/' ? (
        <p className="muted" data-testid="login-next">
          Sign in to continue where you were.
        </p>
      ) : null}
      <LoginForm next={next} />
      {serverConfig().showDemoAccounts ? (
        <p className="muted">Demo: alice@drop.test, bob@drop.test or admin@drop.test with the demo password.</p>
      ) : null}
    </section>
  );
}
