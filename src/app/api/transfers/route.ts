import { METRIC_DROP_TRANSFERS } from '@otel';
import { counted } from '@/server/domain/business-metrics';
import { attemptCreateTransfer, listTransfers } from '@/server/domain/transfers';
import { parseWith, readJson } from '@/server/http/request';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { idempotencyKey, transferBody } from '@/server/http/schemas';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user' }, async ({ req, db, actor }) => {
  const key = parseWith(idempotencyKey, req.headers.get('idempotency-key') ?? undefined);
  const input = await readJson(req, transferBody);
  const { transfer, replayed } = await counted(METRIC_DROP_TRANSFERS, () => attemptCreateTransfer(db.db, actor, input, key));
  return json({ transfer }, 201, replayed ? { 'Idempotent-Replayed': 'true' } : undefined);
});

export const GET = route({ access: 'user' }, async ({ db, actor }) => {
  return json({ transfers: await listTransfers(db.db, actor.userId) });
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods({ GET, POST });
