import { formatCents } from '@/lib/format';
import type { TransferView } from '@/server/domain/transfers';
import { PendingTransferActions } from './PendingTransferActions';

const when = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** Sent and received transfers with their notes; a pending one the viewer sent can be confirmed or cancelled. */
export function TransferTable({ transfers }: { transfers: TransferView[] }) {
  if (transfers.length === 0) return <p className="muted">No transfers yet.</p>;
  return (
    <table data-testid="transfers">
      <thead>
        <tr>
          <th>When (UTC)</th>
          <th>With</th>
          <th>Note</th>
          <th>Status</th>
          <th className="amount">Amount</th>
        </tr>
      </thead>
      <tbody>
        {transfers.map((t) => (
          <tr key={t.id} data-transfer-id={t.id}>
            <td>{when(t.createdAt)}</td>
            <td>{t.direction === 'sent' ? `to ${t.to.email}` : `from ${t.from.email}`}</td>
            <td className="note">{t.note ?? <span className="muted">—</span>}</td>
            <td className="actions">
              <span className={`badge ${t.status}`}>{t.kind === 'qr_payment' && t.status === 'completed' ? 'paid by QR' : t.status}</span>
              {t.status === 'pending' && t.direction === 'sent' ? <PendingTransferActions transferId={t.id} /> : null}
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
