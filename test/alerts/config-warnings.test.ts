// The alert processor parses its configuration and the layer's once at start-up and logs each invalid value as
// one warning (the layer's as otel.config, its own as alerts.config), from a logger created from that
// configuration: its service name is its own without the environment being changed for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertProcessor, type RunningAlertProcessor } from '../helpers/alert-processor-process';

describe('alert processor start-up configuration', () => {
  let processor: RunningAlertProcessor;

  beforeAll(async () => {
    processor = await startAlertProcessor({ LOG_LEVEL: 'bogus', ALERT_WINDOW_SECONDS: 'soon', OTEL_SERVICE_NAME: '' });
  });
  afterAll(async () => {
    await processor?.stop();
  });

  const warnings = (event: string) => processor.logRecords().filter((record) => record['event.name'] === event && record.level === 'warn');

  it('logs an invalid LOG_LEVEL once, as an otel.config warning, and uses info', () => {
    const logLevel = warnings('otel.config');
    expect(logLevel.map((record) => record.msg)).toEqual(['LOG_LEVEL="bogus" is not one of debug, info, warn, error; using info']);
    expect(processor.logRecords().some((record) => record['event.name'] === 'alerts.started' && record.level === 'info')).toBe(true);
  });

  it("logs its own settings' warnings once, as alerts.config", () => {
    expect(warnings('alerts.config').map((record) => record.msg)).toEqual([expect.stringContaining('ALERT_WINDOW_SECONDS="soon"')]);
  });

  it('names its log lines drop-alert-processor', () => {
    const started = processor.logRecords().find((record) => record['event.name'] === 'alerts.started');
    expect(started?.['service.name']).toBe('drop-alert-processor');
  });
});

describe('alert processor: a bad TRACE_URL_TEMPLATE', () => {
  it('stops it at start-up with one fatal line naming the variable, as it stops the app', async () => {
    const error = await startAlertProcessor({ TRACE_URL_TEMPLATE: 'http://jaeger/trace/' }).then(
      async (processor) => {
        await processor.stop();
        return new Error('the alert processor started');
      },
      (e: Error) => e,
    );
    expect(error.message).toMatch(/the alert processor exited with 1/);
    const fatal = error.message
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.level === 'fatal');
    expect(fatal).toEqual([
      expect.objectContaining({
        'event.name': 'alerts.config',
        msg: 'TRACE_URL_TEMPLATE must be an http(s) URL containing {traceId}, got "http://jaeger/trace/"',
      }),
    ]);
  });
});

describe('alert processor: the intake token and the listen address', () => {
  const fatalLines = (error: Error) =>
    error.message
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.level === 'fatal');

  it('without ALERTS_INTAKE_TOKEN (and no opt-in) it does not start: one fatal line naming the variable', async () => {
    const error = await startAlertProcessor({ ALERTS_INTAKE_TOKEN: '' }).then(
      async (processor) => {
        await processor.stop();
        return new Error('the alert processor started');
      },
      (e: Error) => e,
    );
    expect(error.message).toMatch(/the alert processor exited with 1/);
    expect(fatalLines(error)).toEqual([
      expect.objectContaining({ 'event.name': 'alerts.config', msg: expect.stringMatching(/^ALERTS_INTAKE_TOKEN is not set/) }),
    ]);
  });

  it('ALERTS_INTAKE_UNAUTHENTICATED=true starts it with a warning; ALERTS_HOST unset listens on 127.0.0.1', async () => {
    const processor = await startAlertProcessor({ ALERTS_INTAKE_TOKEN: '', ALERTS_INTAKE_UNAUTHENTICATED: 'true', ALERTS_HOST: '' });
    try {
      const records = processor.logRecords();
      expect(
        records.filter((record) => record['event.name'] === 'alerts.config' && record.level === 'warn').map((record) => record.msg),
      ).toEqual([expect.stringMatching(/^ALERTS_INTAKE_UNAUTHENTICATED=true: the OTLP intake takes records from anyone/)]);
      const started = records.find((record) => record['event.name'] === 'alerts.started');
      expect(started).toMatchObject({ intake: 'unauthenticated', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    } finally {
      await processor.stop();
    }
  });
});
