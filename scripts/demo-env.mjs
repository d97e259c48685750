/**
 * The environment `npm run demo` (scripts/demo.mjs) gives the app, from the caller's: whatever the caller set wins;
 * the secrets are made (and kept in ./data) only when missing. Types in demo-env.d.mts.
 */
export function demoEnv(base, { secret, signingKeyFile }) {
  const env = {
    ...base,
    AUTH_SECRET: base.AUTH_SECRET ?? secret(),
    ...(base.AUDIT_SIGNING_KEY ? {} : { AUDIT_SIGNING_KEY_FILE: base.AUDIT_SIGNING_KEY_FILE ?? signingKeyFile() }),
    DEMO_PASSWORD: base.DEMO_PASSWORD ?? 'drop-demo-password',
    COOKIE_SECURE: base.COOKIE_SECURE ?? 'false',
    DROP_DEMO: '1',
    // Next's anonymous usage telemetry leaves the machine; a local demo sends nothing anywhere unasked.
    NEXT_TELEMETRY_DISABLED: base.NEXT_TELEMETRY_DISABLED ?? '1',
  };
  // No collector in the demo: keep trace ids and JSON logs, but export nothing unless a backend is named.
  if (!demoExports(base)) {
    env.OTEL_TRACES_EXPORTER ??= 'none';
    env.OTEL_LOGS_EXPORTER ??= 'none';
  }
  return env;
}

/** Whether the caller named a telemetry backend (then the demo exports to it). */
export function demoExports(base) {
  return Boolean(base.OTEL_EXPORTER_OTLP_ENDPOINT || base.SENTRY_DSN);
}
