import { describe, expect, it } from 'vitest';
import { parseRoutes, receiversFor } from './routes';

describe('ALERT_ROUTES', () => {
  it('default: everything to Slack, criticals and resolutions by email too', () => {
    const routes = parseRoutes(undefined);
    const both = ['slack', 'email'] as const;
    expect(receiversFor({ type: 'app.started' }, routes, both)).toEqual(['slack']);
    expect(receiversFor({ type: 'app.stopping' }, routes, both)).toEqual(['slack']);
    expect(receiversFor({ type: 'error_spike' }, routes, both)).toEqual(['slack', 'email']);
    expect(receiversFor({ type: 'heartbeat_resumed' }, routes, both)).toEqual(['slack', 'email']);
    // Without an email receiver configured, email routes go nowhere.
    expect(receiversFor({ type: 'error_spike' }, routes, ['slack'])).toEqual(['slack']);
  });

  it('selectors are severities, alert types or *; an unknown receiver is a warning', () => {
    const warnings: string[] = [];
    const routes = parseRoutes(' slack = warning , error_spike ; email=heartbeat_missing;pager=*', warnings);
    expect(routes).toEqual({ slack: ['warning', 'error_spike'], email: ['heartbeat_missing'] });
    expect(warnings).toEqual([expect.stringContaining('unknown receiver "pager"')]);
    const both = ['slack', 'email'] as const;
    expect(receiversFor({ type: 'app.started' }, routes, both)).toEqual([]);
    expect(receiversFor({ type: 'app.stopping' }, routes, both)).toEqual(['slack']);
    expect(receiversFor({ type: 'heartbeat_missing' }, routes, both)).toEqual(['email']);
    expect(receiversFor({ type: 'error_spike' }, routes, both)).toEqual(['slack']);
  });
});
