import { LocalTime } from '@/components/LocalTime';
import { formatCents } from '@/lib/format';
import type { TransferView } from '@/server/domain/transfers';
import { PendingTransferActions } from './PendingTransferActions';

/** Why a sent transfer ended without moving money, in the sender's words. */
const ENDED_BECAUSE: Record<string, string> = {
  insufficient_funds: 'not sent: your balance was too low',
};

const statusText = (t: TransferView) => (t.kind === 'qr_payment' && t.status === 'completed' ? 'paid by QR' : t.status);

/**
 * Sent and received transfers with their notes. The viewer's own sends are all there, refused and cancelled ones
 * with the reason; what others sent them appears once the money moved (listTransfers). A pending transfer the
 * viewer sent can be confirmed or cancelled. Narrow screens show each row as a card (`.stack`).
 */
export function TransferTable({ transfers }: { transfers: TransferView[] }) {
  if (transfers.length === 0) return <p className="muted">No transfers yet.</p>;
  return (
    <table data-testid="transfers" className="stack transfers">
      <thead>
        <tr>
          <th>When</th>
          <th>With</th>
          <th>Note</th>
          <th>Status</th>
          <th className="amount">Amount</th>
        </tr>
      </thead>
      <tbody>
        {transfers.map((t) => (
          <tr key={t.id} data-transfer-id={t.id}>
            <td className="when">
              <LocalTime iso={t.completedAt ?? t.createdAt} relative />
            </td>
            <td className="with">{t.direction === 'sent' ? `to ${t.to.email}` : `from ${t.from.email}`}</td>
            <td className="note">{t.note ?? <span className="muted">—</span>}</td>
            <td className="actions">
              <span className={`badge ${t.status}`}>{statusText(t)}</span>
              {t.status === 'cancelled' && t.direction === 'sent' ? (
                <span className="muted small reason" data-testid="transfer-reason">
                  {' '}
                  {t.failureReason ? (ENDED_BECAUSE[t.failureReason] ?? t.failureReason) : 'cancelled by you'}
                </span>
              ) : null}
              {t.status === 'pending' && t.direction === 'sent' ? (
                <>
                  {t.failureReason ? (
                    <span className="muted small reason" data-testid="transfer-reason">
                      {' '}
                      {ENDED_BECAUSE[t.failureReason] ?? t.failureReason}
                    </span>
                  ) : null}
                  <PendingTransferActions transferId={t.id} />
                </>
              ) : null}
            </td>
            <td className={`amount ${t.status === 'cancelled' ? 'struck' : ''}`}>
              {t.direction === 'sent' ? '−' : '+'}
              {formatCents(t.amountCents)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
