import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT_CENTS, amountLimitInWords, parseAmount } from './amount';

const cents = (input: string) => {
  const parsed = parseAmount(input);
  if (!parsed.ok) throw new Error(`refused “${input}”: ${parsed.message}`);
  return parsed.cents;
};
const refusal = (input: string) => {
  const parsed = parseAmount(input);
  if (parsed.ok) throw new Error(`accepted “${input}” as ${parsed.cents} cents`);
  return parsed.message;
};

describe('parseAmount', () => {
  it('reads a comma and a point before the cents the same way', () => {
    expect(cents('2,50')).toBe(250);
    expect(cents('2.50')).toBe(250);
    expect(cents('2,5')).toBe(250);
    expect(cents('2.5')).toBe(250);
    expect(cents('0,01')).toBe(1);
    expect(cents(',75')).toBe(75);
  });

  it('reads whole euros, a euro sign, spaces around and leading zeros', () => {
    expect(cents('12')).toBe(1_200);
    expect(cents(' €12.30 ')).toBe(1_230);
    expect(cents('12 €')).toBe(1_200);
    expect(cents('007')).toBe(700);
    expect(cents('1234,56')).toBe(123_456);
  });

  it('computes from the digits, not a float (0.29 is 29 cents, 1.15 is 115)', () => {
    expect(cents('0.29')).toBe(29);
    expect(cents('1.15')).toBe(115);
    expect(cents('4.35')).toBe(435);
  });

  it('refuses a separator followed by three digits: a thousands separator or a decimal?', () => {
    expect(refusal('1,234')).toBe(
      '“1,234” could mean €1,234.00 or about €1.23. Write it without a thousands separator (1234) or with at most 2 decimals.',
    );
    expect(refusal('1.234')).toMatch(/could mean €1,234\.00/);
  });

  it('refuses two separators, more than two decimals, grouping spaces', () => {
    expect(refusal('1.234,5')).toBe(
      '“1.234,5” has more than one separator. Write it without thousands separators, e.g. 1234.50 or 1234,50.',
    );
    expect(refusal('1,234.50')).toMatch(/more than one separator/);
    expect(refusal('1.000.000')).toMatch(/more than one separator/);
    expect(refusal('0.1234')).toBe('“0.1234” has 4 decimals: euros have cents, at most 2 decimals.');
    expect(refusal('0,123')).toMatch(/3 decimals/);
    expect(refusal('1 234')).toMatch(/without spaces or thousands separators/);
    expect(refusal("1'234")).toMatch(/without spaces or thousands separators/);
  });

  it('refuses what is not an amount, in words', () => {
    expect(refusal('')).toBe('Enter an amount in euros, e.g. 12.50.');
    expect(refusal('abc')).toMatch(/is not an amount/);
    expect(refusal('1e3')).toMatch(/is not an amount/);
    expect(refusal('0x10')).toMatch(/is not an amount/);
    expect(refusal('-5')).toMatch(/cannot be negative/);
    expect(refusal('0')).toBe('Enter an amount of at least €0.01.');
    expect(refusal('0,00')).toBe('Enter an amount of at least €0.01.');
    expect(refusal('5,')).toBe('“5,”: add the cents after the comma, or remove it.');
    expect(refusal('5.')).toBe('“5.”: add the cents after the point, or remove it.');
  });

  it('states the limit in euros', () => {
    expect(amountLimitInWords()).toBe('at most €1,000,000.00');
    expect(cents('1000000')).toBe(MAX_AMOUNT_CENTS);
    expect(cents('1000000,00')).toBe(MAX_AMOUNT_CENTS);
    expect(refusal('1000000,01')).toBe('The amount must be at most €1,000,000.00.');
    expect(refusal('99999999999999999999')).toBe('The amount must be at most €1,000,000.00.');
  });
});
