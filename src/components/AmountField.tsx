'use client';

import { useId } from 'react';
import { parseAmount } from '@/lib/amount';
import { formatCents } from '@/lib/format';

/**
 * A euro amount typed as text (`inputmode="decimal"`: the phone shows digits and its separator): "2,50" and "2.50"
 * are both €2.50, read by parseAmount, never by the browser's locale. What it will be read as is shown while
 * typing; why it cannot be read is shown when the form is sent (`error`).
 */
export function AmountField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error?: string | null }) {
  const id = useId();
  const parsed = value.trim() ? parseAmount(value) : undefined;
  return (
    <label>
      Amount (EUR)
      <input
        name="amount"
        type="text"
        inputMode="decimal"
        autoComplete="off"
        placeholder="0.00"
        required
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint`}
      />
      <span
        id={`${id}-hint`}
        className={error ? 'error small' : 'muted small'}
        data-testid="amount-hint"
        role={error ? 'alert' : undefined}
      >
        {error ?? (parsed?.ok ? `That is ${formatCents(parsed.cents)}.` : 'A comma or a point before the cents: 12,50 or 12.50.')}
      </span>
    </label>
  );
}
