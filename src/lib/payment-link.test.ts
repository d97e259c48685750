import { describe, expect, it } from 'vitest';
import { payPageUrl, paymentCodeFrom } from './payment-link';

describe('paymentCodeFrom', () => {
  const code = 'Zx3_k9-QpLm2Vb7Ty1nRsA';

  it('takes a bare code, with spaces around it', () => {
    expect(paymentCodeFrom(code)).toBe(code);
    expect(paymentCodeFrom(`  ${code}\n`)).toBe(code);
  });

  it('takes the code out of a drop://pay link', () => {
    expect(paymentCodeFrom(`drop://pay?code=${code}&amount=1999&currency=EUR&description=Pizza`)).toBe(code);
  });

  it('takes the code out of the https link to the /pay page (what the QR code holds)', () => {
    expect(paymentCodeFrom(payPageUrl('https://drop.example.com', code))).toBe(code);
    expect(paymentCodeFrom(`http://127.0.0.1:3000/pay?code=${code}`)).toBe(code);
  });

  it.each([
    ['nothing', ''],
    ['another page', `https://pay.example/?code=${code}`],
    ['another scheme', `ftp://pay.example/pay?code=${code}`],
    ['another drop action', `drop://send?code=${code}`],
    ['a link without a code', 'drop://pay?amount=100'],
    ['a code with other characters', 'abc def ghi'],
    ['a code too short', 'abc'],
  ])('refuses %s', (_case, input) => {
    expect(paymentCodeFrom(input)).toBeUndefined();
  });
});

describe('payPageUrl', () => {
  it('is the /pay page of the origin with the code, encoded', () => {
    expect(payPageUrl('https://drop.example.com', 'Zx3_k9-QpLm2Vb7Ty1nRsA')).toBe(
      'https://drop.example.com/pay?code=Zx3_k9-QpLm2Vb7Ty1nRsA',
    );
    expect(payPageUrl('https://drop.example.com', 'a&b')).toBe('https://drop.example.com/pay?code=a%26b');
  });
});
