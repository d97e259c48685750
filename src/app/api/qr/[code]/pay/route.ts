import { METRIC_DROP_QR_PAYMENTS } from '@otel';
import { counted } from '@/server/domain/business-metrics';
import { attemptPayPaymentRequest } from '@/server/domain/qr';
import { json } from '@/server/http/respond';
import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/methods';

export const POST = route({ access: 'user', params: ['code'] }, async ({ db, actor, params }) => {
  const payment = await counted(METRIC_DROP_QR_PAYMENTS, () => attemptPayPaymentRequest(db.db, actor, params.code));
  return json({ payment });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods({ POST });
