import { describe, expect, it } from 'vitest';
import { kycBody, qrBody, registerBody, transferBody } from './schemas';

const base = { email: 'ann@example.test', password: 'long enough password' };

const nameIssue = (name: string) => {
  const result = registerBody.safeParse({ ...base, name });
  return result.success ? undefined : result.error.issues.map((i) => i.message).join('; ');
};

describe('display text (names, notes, descriptions)', () => {
  it.each([
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['TAB', '\t'],
    ['LF', '\n'],
    ['CR', '\r'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['C1 CSI', '\u009b'],
    ['LRE', '\u202a'],
    ['RLE', '\u202b'],
    ['PDF', '\u202c'],
    ['LRO', '\u202d'],
    ['RLO', '\u202e'],
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
    ['LRM', '\u200e'],
    ['RLM', '\u200f'],
    ['ALM', '\u061c'],
    ['LINE SEPARATOR', '\u2028'],
    ['PARAGRAPH SEPARATOR', '\u2029'],
    ['ZERO WIDTH SPACE', '\u200b'],
    ['WORD JOINER', '\u2060'],
    ['BOM / ZERO WIDTH NO-BREAK SPACE', '\ufeff'],
    ['SOFT HYPHEN', '\u00ad'],
    ['MONGOLIAN VOWEL SEPARATOR', '\u180e'],
    ['a tag character', '\u{e0041}'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
    ['HANGUL FILLER', '\u3164'],
    ['HANGUL CHOSEONG FILLER', '\u115f'],
    ['HANGUL JUNGSEONG FILLER', '\u1160'],
    ['HALFWIDTH HANGUL FILLER', '\uffa0'],
    ['BRAILLE PATTERN BLANK', '\u2800'],
  ])('refuses %s inside the text, saying why', (_name, char) => {
    expect(nameIssue(`Ann${char}Example`)).toMatch(/control character/i);
  });

  it.each([
    'Ann Example',
    'Zoë Łukasiewicz',
    '李小龍',
    'محمد',
    'שלום',
    '👩‍💻 Dev',
    'O\u2019Brien',
    'Jean-Luc',
    '한글 이름',
    'می\u200cخواهم', // ZWNJ in Persian
    'क्\u200dष', // ZWJ in Devanagari
    'Ann \u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', // the flag of England (tag characters)
  ])('accepts %s', (name) => {
    expect(nameIssue(name)).toBeUndefined();
  });

  it.each([
    ['a zero-width space', '\u200b'],
    ['zero-width spaces and BOMs', '\u200b\ufeff\u200b'],
    ['a Hangul filler', '\u3164'],
    ['a braille blank', '\u2800'],
    ['tag characters without their flag', '\u{E0067}\u{E0062}\u{E007F}'],
  ])('refuses a name made only of %s (it would display as nothing)', (_what, name) => {
    expect(nameIssue(name)).toMatch(/invisible character/i);
  });

  it('still trims surrounding spaces and refuses a blank name', () => {
    expect(registerBody.parse({ ...base, name: '  Ann  ' }).name).toBe('Ann');
    expect(nameIssue('   ')).toBeDefined();
  });

  it('applies to the transfer note, the QR description and the KYC full name', () => {
    expect(transferBody.safeParse({ toEmail: 'bob@drop.test', amountCents: 1, note: 'a\u202eb' }).success).toBe(false);
    expect(qrBody.safeParse({ amountCents: 1, description: 'a\nb' }).success).toBe(false);
    const kyc = { dateOfBirth: '1990-01-01', documentType: 'passport', documentNumber: 'X1234567' };
    expect(kycBody.safeParse({ ...kyc, fullName: 'Ann\u0000' }).success).toBe(false);
    expect(kycBody.safeParse({ ...kyc, fullName: 'Ann Example' }).success).toBe(true);
  });
});
