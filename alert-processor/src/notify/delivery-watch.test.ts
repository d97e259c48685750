import { describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/free-port.mjs';
import { encodeLogs } from '../../../test/helpers/otlp-encode';
import { processorTestBed } from '../test-processors';

// The processor watching its own delivery: email failing (its SMTP server refuses connections) is told on Slack.
// (Slack failing told by email, with a real SMTP server: test/alerts/email.test.ts.)
const bed = processorTestBed({ token: 'delivery-watch-intake-token-0123456789', logLevel: 'info' });

describe('delivery watch', () => {
  it('email failing three times in a row → Slack is told, once, naming the reason and what waits', async () => {
    const closedPort = await freePort();
    const processor = await bed.start({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(closedPort),
      SMTP_SECURITY: 'none',
      SMTP_TIMEOUT_MS: '1000',
      ALERT_EMAIL_FROM: 'alerts@drop.test',
      ALERT_EMAIL_TO: 'oncall@drop.test',
      ALERT_ROUTES: 'slack=*;email=*',
    });
    const response = await bed.send(
      processor,
      'logs',
      encodeLogs([{ service: 'drop', body: 'app.started', severityNumber: 9, eventName: 'app.started' }]),
    );
    expect(response.status).toBe(200);
    const told = await bed.slack.waitFor(
      () => bed.slack.delivered().find((post) => post.body?.text?.includes('cannot reach email')),
      15_000,
      'delivery_failed on Slack',
    );
    expect(told.body!.text).toMatch(
      /^🚨 CRITICAL: drop-alert-processor: alerts cannot reach email — Alerts have not been delivered to email since .* \(1 alert waiting in the outbox, retried\): SMTP /,
    );
    expect(bed.logLines.filter((line) => line['event.name'] === 'alerts.delivery')).toEqual([
      expect.objectContaining({ level: 50, 'alert.type': 'delivery_failed', receiver: 'email' }),
    ]);
    // Once per outage, not once per failed retry.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(bed.slack.delivered().filter((post) => post.body?.text?.includes('cannot reach email'))).toHaveLength(1);
    expect(bed.slack.delivered().filter((post) => post.body?.text?.startsWith('ℹ️ INFO: drop started'))).toHaveLength(1);
  });
});
