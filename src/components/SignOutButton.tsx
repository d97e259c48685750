'use client';

import { useRouter } from 'next/navigation';
import { api } from '@/lib/api-client';

export function SignOutButton() {
  const router = useRouter();
  return (
    <button
      type="button"
      className="secondary small"
      onClick={async () => {
        await api('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
        router.replace('/login');
        router.refresh();
      }}
    >
      Sign out
    </button>
  );
}
