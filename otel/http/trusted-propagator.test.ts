import type { IncomingMessage } from 'node:http';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { textMapPropagatorFor } from '../propagators';
import { currentRequestScope, runInRequestScope } from '../request-scope';
import { TrustedCallerPropagator } from './trusted-propagator';

const request = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: '203.0.113.7' } }) as unknown as IncomingMessage;
const spanOf = (traceId: string, spanId: string) => trace.wrapSpanContext({ traceId, spanId, traceFlags: 1 });

describe('TrustedCallerPropagator with OTEL_PROPAGATORS=b3multi', () => {
  const propagator = new TrustedCallerPropagator(textMapPropagatorFor(['b3multi']), { addresses: [], secret: undefined });

  it("writes a traceparent only for Next's hand-off of the request's own server span, the configured format always", () => {
    runInRequestScope(request({}), () => {
      const server = spanOf('a'.repeat(32), 'b'.repeat(16));
      currentRequestScope()!.serverSpan = server;
      const handoff: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, server), handoff, defaultTextMapSetter);
      expect(Object.keys(handoff).sort()).toEqual(['traceparent', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);

      const outgoing: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, spanOf('a'.repeat(32), 'c'.repeat(16))), outgoing, defaultTextMapSetter);
      expect(Object.keys(outgoing).sort()).toEqual(['x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    });
  });

  it("keeps a stranger's B3 context as the untrusted parent, and follows the server's own traceparent", () => {
    const caller = { 'x-b3-traceid': 'd'.repeat(32), 'x-b3-spanid': 'e'.repeat(16), 'x-b3-sampled': '1' };
    runInRequestScope(request(caller), () => {
      const proxyPass = propagator.extract(ROOT_CONTEXT, caller, defaultTextMapGetter);
      expect(trace.getSpanContext(proxyPass)).toBeUndefined();
      expect(currentRequestScope()!.untrustedParent).toMatchObject({ traceId: 'd'.repeat(32), spanId: 'e'.repeat(16) });

      const renderPass = { ...caller, traceparent: `00-${'f'.repeat(32)}-${'1'.repeat(16)}-01` };
      const context = propagator.extract(ROOT_CONTEXT, renderPass, defaultTextMapGetter);
      expect(trace.getSpanContext(context)).toMatchObject({ traceId: 'f'.repeat(32), spanId: '1'.repeat(16) });
    });
  });

  it("does not take a caller's own traceparent for the server's", () => {
    const headers = { traceparent: `00-${'f'.repeat(32)}-${'1'.repeat(16)}-01` };
    runInRequestScope(request(headers), () => {
      expect(trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter))).toBeUndefined();
    });
  });
});
