import { inTransaction } from '@/server/db/transaction';
import { signOut } from '@/server/domain/sessions';
import { noContent } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { clearSessionCookie } from '@/server/http/session-cookie';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user' }, async ({ db, actor }) => {
  await inTransaction(db.db, (tx) => signOut(tx, actor));
  const res = noContent();
  clearSessionCookie(res);
  return res;
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
