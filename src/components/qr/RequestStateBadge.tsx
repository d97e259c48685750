import type { PaymentRequestState } from '@/server/domain/qr';

const LABELS: Record<PaymentRequestState, string> = { open: 'waiting for payment', paid: 'paid', expired: 'expired' };

export function RequestStateBadge({ state }: { state: PaymentRequestState }) {
  return (
    <span className={`badge ${state}`} data-testid="request-state">
      {LABELS[state]}
    </span>
  );
}
