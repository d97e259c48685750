import { describe, expect, it } from 'vitest';
import { loginPath, safeNextPath } from './next-path';

describe('safeNextPath', () => {
  it('keeps a path of this app, with its query and fragment', () => {
    expect(safeNextPath('/pay?code=Zx3_k9-QpLm2Vb7Ty1nRsA')).toBe('/pay?code=Zx3_k9-QpLm2Vb7Ty1nRsA');
    expect(safeNextPath('/qr/abc123def')).toBe('/qr/abc123def');
    expect(safeNextPath('/admin/audit?outcome=failure#top')).toBe('/admin/audit?outcome=failure#top');
    expect(safeNextPath('/')).toBe('/');
  });

  it.each([
    ['nothing', undefined],
    ['empty', ''],
    ['protocol-relative', '//evil.test'],
    ['protocol-relative with a path', '//evil.test/pay'],
    ['absolute https', 'https://evil.test'],
    ['absolute http to our own look-alike', 'http://drop.invalid.evil.test/'],
    ['backslash', '/\\evil.test'],
    ['backslash twice', '\\\\evil.test'],
    ['encoded slash', '/%2fevil.test'],
    ['encoded slash, upper case', '/%2F%2Fevil.test'],
    ['encoded backslash', '/%5cevil.test'],
    ['a tab between the slashes', '/\t/evil.test'],
    ['a newline between the slashes', '/\n/evil.test'],
    ['javascript:', 'javascript:alert(1)'],
    ['a relative path', 'pay?code=x'],
    ['data:', 'data:text/html,hi'],
    ['the sign-in page itself', '/login?next=/pay'],
    ['far too long', `/${'a'.repeat(3000)}`],
  ])('refuses %s (back to /)', (_case, raw) => {
    expect(safeNextPath(raw)).toBe('/');
  });

  it('resolves dot segments as the browser would, staying on this app', () => {
    expect(safeNextPath('/a/../pay?code=x')).toBe('/pay?code=x');
    expect(safeNextPath('/./evil.test')).toBe('/evil.test');
  });
});

describe('loginPath', () => {
  it('names the page to come back to, encoded', () => {
    expect(loginPath('/pay?code=abc&x=1')).toBe('/login?next=%2Fpay%3Fcode%3Dabc%26x%3D1');
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('//evil.test')).toBe('/login');
  });
});
