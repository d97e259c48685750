import { attemptConfirmTransfer } from '@/server/domain/transfers';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user', params: ['id'] }, async ({ db, actor, params }) => {
  const transfer = await attemptConfirmTransfer(db.db, actor, params.id);
  return json({ transfer });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
