import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/LoginForm';
import { serverConfig } from '@/server/config';
import { currentUser } from '@/server/current-user';

export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  if (await currentUser()) redirect('/');
  return (
    <section className="card">
      <LoginForm />
      {serverConfig().showDemoAccounts ? (
        <p className="muted">Demo: alice@drop.test, bob@drop.test or admin@drop.test with the demo password.</p>
      ) : null}
    </section>
  );
}
