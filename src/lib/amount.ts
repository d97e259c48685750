import { formatCents } from './format';

/** The most one transfer or payment request may carry: €1,000,000.00. */
export const MAX_AMOUNT_CENTS = 100_000_000;

export type ParsedAmount = { ok: true; cents: number } | { ok: false; message: string };

const refuse = (message: string): ParsedAmount => ({ ok: false, message });

/** "at most €1,000,000.00": the limit as a person reads it, in the forms and in the API's messages. */
export const amountLimitInWords = () => `at most ${formatCents(MAX_AMOUNT_CENTS)}`;

/**
 * A euro amount as a person types it, into cents, or a sentence saying why it cannot be read. "2,50" and "2.50" are
 * both €2.50 (a comma or a point before the cents); what could mean two amounts is refused instead of guessed:
 * "1,234" (a thousands separator or €1.234?), "1.234,50" (two separators), three or more decimals. Computed from
 * the digits, never through a float, so "0.29" is 29 cents.
 */
export function parseAmount(input: string): ParsedAmount {
  const text = input
    .trim()
    .replace(/^€\s*/, '')
    .replace(/\s*(€|EUR)$/i, '');
  if (text === '') return refuse('Enter an amount in euros, e.g. 12.50.');
  if (/^[-−]/.test(text)) return refuse('Enter an amount above €0.00: a payment cannot be negative.');
  if (!/^[\d.,\s']+$/.test(text))
    return refuse(`“${input.trim()}” is not an amount. Use digits, and a comma or a point before the cents: 12.50 or 12,50.`);
  if (/[\s']/.test(text)) return refuse(`“${input.trim()}”: write the amount without spaces or thousands separators, e.g. 1234.50.`);
  const separators = text.match(/[.,]/g) ?? [];
  if (separators.length > 1) {
    return refuse(`“${input.trim()}” has more than one separator. Write it without thousands separators, e.g. 1234.50 or 1234,50.`);
  }
  const [whole = '', decimals] = text.split(/[.,]/);
  if (decimals === undefined) return inCents(whole, '');
  if (decimals.length === 3 && whole !== '' && whole !== '0') {
    const asThousands = formatCents(Number(`${whole}${decimals}`) * 100);
    return refuse(
      `“${input.trim()}” could mean ${asThousands} or about ${formatCents(Number(whole) * 100 + Math.round(Number(`0.${decimals}`) * 100))}. ` +
        `Write it without a thousands separator (${whole}${decimals}) or with at most 2 decimals.`,
    );
  }
  if (decimals.length > 2) return refuse(`“${input.trim()}” has ${decimals.length} decimals: euros have cents, at most 2 decimals.`);
  if (decimals === '')
    return refuse(`“${input.trim()}”: add the cents after the ${separators[0] === ',' ? 'comma' : 'point'}, or remove it.`);
  return inCents(whole, decimals);
}

function inCents(whole: string, decimals: string): ParsedAmount {
  const digits = whole.replace(/^0+(?=\d)/, '');
  // More digits than the limit has: refused before Number() could lose precision.
  if (digits.length > String(MAX_AMOUNT_CENTS / 100).length) return refuse(`The amount must be ${amountLimitInWords()}.`);
  const cents = Number(digits || '0') * 100 + Number(decimals.padEnd(2, '0'));
  if (cents <= 0) return refuse('Enter an amount of at least €0.01.');
  if (cents > MAX_AMOUNT_CENTS) return refuse(`The amount must be ${amountLimitInWords()}.`);
  return { ok: true, cents };
}
