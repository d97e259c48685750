'use client';

import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { AmountField } from '@/components/AmountField';
import { LocalTime } from '@/components/LocalTime';
import { parseAmount } from '@/lib/amount';
import { api, ApiCallError, formatCents } from '@/lib/api-client';
import { describeApiError } from '@/lib/error-messages';
import { useDraft } from '@/lib/use-draft';

interface CreatedTransfer {
  id: string;
  amountCents: number;
  note: string | null;
  to: { email: string; name: string };
  completedAt: string | null;
}

type Step = { name: 'edit' } | { name: 'review'; transfer: CreatedTransfer } | { name: 'receipt'; transfer: CreatedTransfer };

const EMPTY = { toEmail: '', amount: '', note: '' };

/**
 * Send money in three steps, as a payments app does: the form; a review that shows whom the money goes to (their
 * name, from the server), how much and the note, before anything moves; a receipt. "Review" creates the transfer
 * (pending: nothing moves) with one Idempotency-Key per intended payment, reused if the same request is retried;
 * "Send" confirms it; "Back" cancels it. When the confirm is refused the form cancels the transfer, so a failed send
 * leaves nothing pending; should even the cancel fail, the transfer is listed with Confirm / Cancel. What is typed
 * is kept as a draft (useDraft) until the receipt, so an expired session loses nothing.
 */
export function SendMoneyForm() {
  const router = useRouter();
  const [fields, setFields, clearDraft] = useDraft('send', EMPTY);
  const [step, setStep] = useState<Step>({ name: 'edit' });
  const [amountError, setAmountError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The key of the payment being prepared, for exactly these fields: a retry of the same request reuses it. */
  const intent = useRef<{ body: string; key: string } | null>(null);

  async function review(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const amount = parseAmount(fields.amount);
    setAmountError(amount.ok ? null : amount.message);
    setMessage(null);
    if (!amount.ok) return;
    const note = fields.note.trim();
    const body = { toEmail: fields.toEmail.trim(), amountCents: amount.cents, ...(note ? { note } : {}) };
    const text = JSON.stringify(body);
    if (intent.current?.body !== text) intent.current = { body: text, key: crypto.randomUUID() };
    setBusy(true);
    try {
      const { transfer } = await api<{ transfer: CreatedTransfer }>('/api/transfers', {
        method: 'POST',
        headers: { 'idempotency-key': intent.current.key },
        body,
      });
      setStep({ name: 'review', transfer });
    } catch (e) {
      setMessage(describeApiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function send(transfer: CreatedTransfer) {
    setBusy(true);
    setMessage(null);
    try {
      const { transfer: sent } = await api<{ transfer: CreatedTransfer }>(`/api/transfers/${transfer.id}/confirm`, { method: 'POST' });
      setStep({ name: 'receipt', transfer: sent });
      intent.current = null;
      clearDraft();
    } catch (e) {
      setMessage(`Not sent: ${describeApiError(e)}${await cancelAfterFailure(transfer.id)}`);
      intent.current = null;
      setStep({ name: 'edit' });
    } finally {
      setBusy(false);
      router.refresh();
    }
  }

  async function back(transfer: CreatedTransfer) {
    setBusy(true);
    try {
      await api(`/api/transfers/${transfer.id}/cancel`, { method: 'POST' });
    } catch {
      setMessage('The prepared transfer could not be withdrawn: it is pending in the list below, where you can cancel it.');
    } finally {
      intent.current = null;
      setStep({ name: 'edit' });
      setBusy(false);
      router.refresh();
    }
  }

  if (step.name === 'review') {
    const { transfer } = step;
    return (
      <section aria-label="Review your payment" className="review" data-testid="send-review">
        <h3>Check before you send</h3>
        <dl className="facts">
          <dt>To</dt>
          <dd>
            <strong data-testid="review-name">{transfer.to.name}</strong>
            <br />
            <span className="muted" data-testid="review-email">
              {transfer.to.email}
            </span>
          </dd>
          <dt>Amount</dt>
          <dd className="reviewAmount" data-testid="review-amount">
            {formatCents(transfer.amountCents)}
          </dd>
          <dt>Note</dt>
          <dd data-testid="review-note">{transfer.note ?? <span className="muted">none</span>}</dd>
        </dl>
        <p className="muted">The money leaves your balance when you press Send. Nothing has been sent yet.</p>
        <div className="buttonRow">
          <button type="button" disabled={busy} onClick={() => send(transfer)}>
            Send {formatCents(transfer.amountCents)}
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => back(transfer)}>
            Back
          </button>
        </div>
      </section>
    );
  }

  if (step.name === 'receipt') {
    const { transfer } = step;
    return (
      <section aria-label="Receipt" className="review receipt" data-testid="send-receipt">
        <p className="success" role="status">
          Sent {formatCents(transfer.amountCents)} to {transfer.to.name}.
        </p>
        <dl className="facts">
          <dt>To</dt>
          <dd>
            {transfer.to.name} <span className="muted">({transfer.to.email})</span>
          </dd>
          <dt>Amount</dt>
          <dd className="reviewAmount">{formatCents(transfer.amountCents)}</dd>
          {transfer.note ? (
            <>
              <dt>Note</dt>
              <dd>{transfer.note}</dd>
            </>
          ) : null}
          <dt>When</dt>
          <dd>{transfer.completedAt ? <LocalTime iso={transfer.completedAt} /> : 'just now'}</dd>
          <dt>Reference</dt>
          <dd>
            <code>{transfer.id}</code>
          </dd>
        </dl>
        <button type="button" className="secondary" onClick={() => setStep({ name: 'edit' })}>
          Send more money
        </button>
      </section>
    );
  }

  return (
    <form onSubmit={review} aria-label="Send money">
      <label>
        To (email)
        <input
          name="toEmail"
          type="email"
          autoComplete="email"
          required
          value={fields.toEmail}
          onChange={(e) => setFields({ toEmail: e.target.value })}
        />
      </label>
      <AmountField
        value={fields.amount}
        onChange={(amount) => {
          setFields({ amount });
          // What was refused is gone: the hint says again what is being typed.
          setAmountError(null);
        }}
        error={amountError}
      />
      <label>
        Note (optional)
        <input name="note" maxLength={140} value={fields.note} onChange={(e) => setFields({ note: e.target.value })} />
      </label>
      {message && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Review
      </button>
    </form>
  );
}

/** The tail of the failure message: what became of the transfer that was created but not confirmed. */
async function cancelAfterFailure(transferId: string): Promise<string> {
  try {
    await api(`/api/transfers/${transferId}/cancel`, { method: 'POST' });
    return ' Nothing was taken from your balance.';
  } catch (error) {
    // Not pending any more: the confirm went through after all (its answer was what got lost).
    if (error instanceof ApiCallError && error.code === 'transfer_not_pending') return ' It may have gone through: check the list below.';
    return ' The transfer is still pending: confirm or cancel it in the list below.';
  }
}
