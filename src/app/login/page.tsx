import { redirect } from 'next/navigation';
import { LoginForm } from '@/components/LoginForm';
import { currentUser } from '@/server/current-user';

export const dynamic = 'force-dynamic';

export default async function LoginPage() {
  if (await currentUser()) redirect('/');
  return (
    <section className="card">
      <LoginForm />
      {process.env.NODE_ENV !== 'production' || process.env.DROP_DEMO === '1' ? (
        <p className="muted">Demo: alice@drop.test, bob@drop.test or admin@drop.test with the demo password.</p>
      ) : null}
    </section>
  );
}
