import { forbidden, redirect } from 'next/navigation';
import { currentUser } from '@/server/current-user';

export const dynamic = 'force-dynamic';

/** Admin only: a server component that fails, for Next's onRequestError path to Sentry. */
export default async function ServerRenderErrorPage() {
  const user = await currentUser();
  if (!user) redirect('/login');
  if (user.role !== 'admin') forbidden();
  throw new Error(`Deliberate server render error requested by admin ${user.id} to check the monitoring pipeline`);
}
