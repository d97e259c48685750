import { inTransaction } from '@/server/db/transaction';
import { cancelTransfer } from '@/server/domain/transfers';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';

export const POST = route({ access: 'user', params: ['id'] }, async ({ db, actor, params }) => {
  const transfer = await inTransaction(db.db, (tx) => cancelTransfer(tx, actor, params.id));
  return json({ transfer });
});
