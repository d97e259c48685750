import { describe, expect, it } from 'vitest';
import { paymentCodeFrom } from './payment-link';

describe('paymentCodeFrom', () => {
  const code = 'Zx3_k9-QpLm2Vb7Ty1nRsA';

  it('takes a bare code, with spaces around it', () => {
    expect(paymentCodeFrom(code)).toBe(code);
    expect(paymentCodeFrom(`  ${code}\n`)).toBe(code);
  });

  it('takes the code out of a drop://pay link', () => {
    expect(paymentCodeFrom(`drop://pay?code=${code}&amount=1999&currency=EUR&description=Pizza`)).toBe(code);
  });

  it.each([
    ['nothing', ''],
    ['another scheme', `https://pay.example/?code=${code}`],
    ['another drop action', `drop://send?code=${code}`],
    ['a link without a code', 'drop://pay?amount=100'],
    ['a code with other characters', 'abc def ghi'],
    ['a code too short', 'abc'],
  ])('refuses %s', (_case, input) => {
    expect(paymentCodeFrom(input)).toBeUndefined();
  });
});
