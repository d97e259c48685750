import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/LoginForm';
import { serverConfig } from '@/server/config';
import { currentUser } from '@/server/current-user';
import { getDatabase } from '@/server/db';
import { presentDemoAccounts } from '@/server/db/seed';

export const dynamic = 'force-dynamic';

/** "a, b or c" */
const listed = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? ''));

export default async function LoginPage() {
  if (await currentUser()) redirect('/');
  // Named only where they are allowed (outside production, or DROP_DEMO=1) and exist (the database was seeded).
  const demoAccounts = serverConfig().showDemoAccounts ? await presentDemoAccounts((await getDatabase()).db) : [];
  return (
    <section className="card">
      <LoginForm />
      {demoAccounts.length > 0 ? <p className="muted">Demo: {listed(demoAccounts)} with the demo password.</p> : null}
    </section>
  );
}
