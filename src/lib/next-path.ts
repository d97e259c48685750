/**
 * Where to go after signing in: a path of this app (`/pay?code=…`), or `/` for anything else. Only a single
 * leading slash followed by a path character is taken: `//evil.test`, `/\evil.test` (browsers read a backslash
 * as a slash), `https://evil.test`, `javascript:…` and their percent-encoded or control-character variants all
 * fall back to `/`, so the sign-in page can never send someone to another site.
 */
export function safeNextPath(raw: string | null | undefined): string {
  if (!raw || raw.length > 2048) return '/';
  // Control characters and whitespace (browsers drop tabs and newlines inside URLs: "/\t/evil.test" is "//evil.test").
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(raw)) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//')) return '/';
  // Judged as the browser will: resolved against a placeholder origin, it must stay on that origin.
  let url: URL;
  try {
    url = new URL(raw, 'http://drop.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'http://drop.invalid') return '/';
  // Encoded slashes or backslashes right after the first slash are refused too: some servers decode them first.
  if (/^\/(%2f|%5c)/i.test(raw)) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('/login') ? '/' : path;
}

/** The sign-in page that comes back to `path` afterwards. */
export function loginPath(path: string): string {
  const next = safeNextPath(path);
  return next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
}
