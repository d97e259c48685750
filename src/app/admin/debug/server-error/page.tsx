import { forbidden } from 'next/navigation';
import { requireUser } from '@/server/current-user';

export const dynamic = 'force-dynamic';

/** Admin only: a server component that fails, for Next's onRequestError path to Sentry. */
export default async function ServerRenderErrorPage() {
  const user = await requireUser('/admin/debug/server-error');
  if (user.role !== 'admin') forbidden();
  throw new Error(`Deliberate server render error requested by admin ${user.id} to check the monitoring pipeline`);
}
