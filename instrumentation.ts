export async function register() {
  // Node.js only: the edge runtime has no NodeSDK, and Drop runs nothing there.
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { registerNodeTelemetry } = await import('./otel/register');
    await registerNodeTelemetry();
  }
}
