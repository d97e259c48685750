import { z } from 'zod';
import { MAX_AMOUNT_CENTS, amountLimitInWords } from '../../lib/amount';

const email = z.email().max(254);
const password = z.string().min(10, 'Use at least 10 characters').max(256);
/** In cents, an integer; the messages speak euros ("at most €1,000,000.00"), as the forms do. */
const amountCents = z
  .int('Amount must be a whole number of cents (250 for €2.50)')
  .positive('Amount must be at least €0.01 (1 cent)')
  .max(MAX_AMOUNT_CENTS, `Amount must be ${amountLimitInWords()} (${MAX_AMOUNT_CENTS} cents)`);
/**
 * Characters refused in text shown to other people (names, notes, descriptions): C0 and C1 controls (NUL, ESC,
 * tab, newlines, DEL…), line and paragraph separators, the bidirectional controls (embeddings, overrides,
 * isolates, marks) that make text display in another order than it is stored, and what displays as nothing:
 * format characters (zero-width space, word joiner, BOM, soft hyphen, tag characters…), lone surrogates, and the
 * blank letters (Hangul fillers, the braille blank) that make a name look empty or like someone else's. ZWNJ and
 * ZWJ (U+200C, U+200D) are fine: Persian, Indic scripts and emoji need them.
 */
const REFUSED_CHARACTER = /(?![\u200C\u200D])[\p{Cc}\p{Cf}\p{Cs}\p{Bidi_Control}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800]/u;
/** A subdivision flag (England, Scotland, Wales): a black flag and tag characters, the only use of tags allowed. */
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,7}\u{E007F}/gu;
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine(
      (value) => !REFUSED_CHARACTER.test(value.replace(EMOJI_TAG_SEQUENCE, '')),
      'Must not contain control characters or invisible characters (newlines, tabs, NUL, escape, bidirectional overrides, zero-width spaces, fillers)',
    );

export const registerBody = z.strictObject({ email, password, name: text(100) });
export const loginBody = z.strictObject({ email, password: z.string().min(1).max(256) });
export const changePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: password });
export const transferBody = z.strictObject({ toEmail: email, amountCents, note: text(140).optional() });
export const qrBody = z.strictObject({ amountCents, description: text(140).optional() });

const isoDate = z.iso.date();
export const kycBody = z.strictObject({
  fullName: text(200),
  dateOfBirth: isoDate.refine((d) => {
    const born = new Date(`${d}T00:00:00Z`).getTime();
    const age = (Date.now() - born) / (365.25 * 24 * 3_600_000);
    return age >= 18 && age <= 130;
  }, 'You must be at least 18'),
  documentType: z.enum(['passport', 'id_card', 'driving_licence']),
  documentNumber: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{3,38}[A-Za-z0-9]$/, 'Use 5 to 40 letters, digits, spaces or dashes'),
});

/** Idempotency-Key: an opaque client-chosen string (UUIDs recommended). */
export const idempotencyKey = z
  .string({ error: 'The Idempotency-Key header is required' })
  .regex(/^[\x21-\x7e]{8,255}$/, 'Idempotency-Key must be 8 to 255 visible ASCII characters');
