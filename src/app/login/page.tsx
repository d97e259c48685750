import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/LoginForm';
import { safeNextPath } from '@/lib/next-path';
import { serverConfig } from '@/server/config';
import { currentUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { presentDemoAccounts } from '@/server/db/seed';

export const dynamic = 'force-dynamic';

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** "a, b or c" */
const listed = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? ''));

/** Signs in, then goes back to the page that asked (`?next=`, a path of this app only: see safeNextPath). */
export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const raw = (await searchParams).next;
  const next = safeNextPath(Array.isArray(raw) ? raw[0] : raw);
  if (await currentUser()) redirect(next);
  // Named only where they are allowed (outside production, or DROP_DEMO=1) and exist (the database was seeded).
  const demoAccounts = serverConfig().showDemoAccounts ? await presentDemoAccounts((await getDatabase()).db) : [];
  return (
    <section className="card">
      {next !== '/' ? (
        <p className="muted" data-testid="login-next">
          Sign in to continue where you were.
        </p>
      ) : null}
      <LoginForm next={next} />
      {demoAccounts.length > 0 ? <p className="muted">Demo: {listed(demoAccounts)} with the demo password.</p> : null}
    </section>
  );
}
