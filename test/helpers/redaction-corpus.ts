/**
 * Text and keys that Drop's redaction policy (otel/redact.ts) masks or leaves alone, shared by the test of the
 * collector's rules against the policy (otel/collector-rules.test.ts) and the test of the real collector
 * (test/collector/redaction-policy.test.ts).
 */

/** Text with a secret (the value `V…`) that the app's policy masks: the collector must mask it too. */
export const SECRETS: [string, string][] = [
  ['/cb?session=Vq01&page=2', 'Vq01'],
  ['/cb?sid=Vq02', 'Vq02'],
  ['/cb?a=1&auth=Vq03', 'Vq03'],
  ['/cb?jwt=Vq04', 'Vq04'],
  ['/cb?sig=Vq05', 'Vq05'],
  ['/cb?signature=Vq06', 'Vq06'],
  ['/cb?otp=Vq07', 'Vq07'],
  ['/cb?pwd=Vq08', 'Vq08'],
  ['/cb?pass=Vq09', 'Vq09'],
  ['/cb?credential=Vq10', 'Vq10'],
  ['/cb?token=Vq11', 'Vq11'],
  ['/s3?X-Amz-Signature=Vq12&X-Amz-Date=20260101', 'Vq12'],
  ['/cb?accessToken=Vq13', 'Vq13'],
  ['/cb?SESSIONID=Vq14', 'Vq14'],
  ['/cb?api_key=Vq15', 'Vq15'],
  ['/cb?oldpassword=Vq16', 'Vq16'],
  ['/cb?user.pin=Vq17', 'Vq17'],
  ['/cb?client-credentials=Vq18', 'Vq18'],
  ['/cb?otp_code=Vq19', 'Vq19'],
  ['login failed: token=Vt01 for user', 'Vt01'],
  ['password: Vt02', 'Vt02'],
  ['{"sid":"Vt03","page":2}', 'Vt03'],
  ['Authorization: Bearer Vt04', 'Vt04'],
  ['cookie session=Vt05; path=/', 'Vt05'],
  ['apiKey=Vt06 rejected', 'Vt06'],
  ['the code otp=Vt07 expired', 'Vt07'],
  ["jwt: 'Vt08'", 'Vt08'],
  ['stored mypassword=Vt09', 'Vt09'],
  ['connect https://drop:Vt10@db.internal/x failed', 'Vt10'],
  ['signature="Vt11"', 'Vt11'],
  ['x-session-id: Vt12', 'Vt12'],
  ['bad credentials: pwd=Vt13', 'Vt13'],
];

/** Text the app's policy leaves alone: so must the collector. */
export const HARMLESS = [
  'GET /api/transfers?page=2&sort=desc',
  'revoked resource session:7c1e9f0a',
  'see https://example.com/a for details',
  'keyboard=us monkey=1 author=bob design=flat',
  'at 12:30 the job ran',
  'transfer 3f2c of 1250 cents done',
  'queued audit entry 12 refused: it has no MAC: it was not queued by the app (missing)',
];

/** Attribute keys, sensitive and not. */
export const SENSITIVE_AND_SAFE_KEYS = [
  'password',
  'currentPassword',
  'http.request.header.authorization',
  'set-cookie',
  'x-csrf-token',
  'card_number',
  'client_credential',
  'passphrase',
  'otp',
  'user.pin',
  'pwd',
  'pass',
  'jwt',
  'sentry-dsn',
  'trace_id',
  'span_id',
  'request_id',
  'company',
  'shipping',
  'passenger_count',
  'audit.checkpoint.key_id',
  'http.route',
  'session',
];
