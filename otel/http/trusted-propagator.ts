import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ROOT_CONTEXT, trace, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { currentRequestScope, type RequestScope } from '../request-scope';

/** The header a trusted caller (the proxy, an internal service) sends the shared secret in. */
export const TRUST_HEADER = 'x-trace-context-trust';

export interface TraceContextTrust {
  /** Addresses or CIDR ranges (TRACE_CONTEXT_TRUSTED_ADDRESSES) whose traceparent is honoured. */
  addresses: string[];
  /** TRACE_CONTEXT_TRUST_SECRET: a caller sending it in `x-trace-context-trust` is trusted, from any address. */
  secret: string | undefined;
}

function blockListOf(addresses: string[]): BlockList {
  const list = new BlockList();
  for (const entry of addresses) {
    const [address, prefix] = entry.split('/');
    if (!address) continue;
    const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    if (!type) continue;
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** Entries of TRACE_CONTEXT_TRUSTED_ADDRESSES that are not an IP address or CIDR range (for the config warning). */
export function invalidTrustedAddresses(addresses: string[]): string[] {
  return addresses.filter((entry) => {
    const [address, prefix, extra] = entry.split('/');
    if (extra !== undefined || !address) return true;
    const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
    if (max < 0) return true;
    if (prefix === undefined) return false;
    const bits = Number(prefix);
    return !/^\d+$/.test(prefix) || bits > max;
  });
}

function remoteAddressType(address: string): 'ipv4' | 'ipv6' {
  return isIPv4(address) ? 'ipv4' : 'ipv6';
}

/**
 * Trace context in the OTEL_PROPAGATORS formats (W3C trace context and baggage by default) from trusted callers only.
 * Next extracts the incoming headers itself (`propagation.extract` on the request's headers); this propagator decides
 * there whether the caller may choose the request's trace — and so its request id, which is also the audit row's
 * `request_id`:
 * - a caller from a trusted address, or presenting the shared secret: its context is honoured;
 * - a traceparent Next itself wrote into this request's headers (its render pass after the proxy): honoured;
 * - anyone else: the request starts a trace of its own, and keeps the caller's as a span link (ServerSpanProcessor).
 * Next hands its context from the proxy pass to the render pass as a W3C `traceparent` whatever the propagators are
 * (base-server.js reads `traceparent` from what `propagation.inject` wrote): so when the context being injected is the
 * request's own server span, a `traceparent` is written too, and read back as the server's. Outgoing calls (their
 * client span's context) get the configured formats only.
 */
export class TrustedCallerPropagator implements TextMapPropagator {
  private readonly trustedAddresses: BlockList;
  private readonly secret: Buffer | undefined;
  private readonly handoff = new W3CTraceContextPropagator();

  constructor(
    private readonly inner: TextMapPropagator,
    trust: TraceContextTrust,
  ) {
    this.trustedAddresses = blockListOf(trust.addresses);
    this.secret = trust.secret ? Buffer.from(trust.secret) : undefined;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this.inner.inject(context, carrier, setter);
    const scope = currentRequestScope();
    const span = trace.getSpan(context);
    if (scope?.serverSpan && span === scope.serverSpan) this.handoff.inject(context, carrier, setter);
  }

  fields(): string[] {
    return this.inner.fields();
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const scope = currentRequestScope();
    if (!scope) return context;
    const trusted = this.isTrusted(scope, carrier, getter);
    const honoured = trusted ? this.inner.extract(context, carrier, getter) : context;
    if (this.writtenByServer(scope, carrier, getter)) return this.handoff.extract(honoured, carrier, getter);
    if (!trusted) {
      const remote = trace.getSpanContext(this.inner.extract(ROOT_CONTEXT, carrier, getter));
      if (remote) scope.untrustedParent ??= remote;
    }
    return honoured;
  }

  /** Next's own traceparent, handed from the proxy pass to the render pass of the same request. */
  private writtenByServer(scope: RequestScope, carrier: unknown, getter: TextMapGetter): boolean {
    const value = getter.get(carrier, 'traceparent');
    const current = Array.isArray(value) ? value[0] : value;
    return current !== undefined && current !== scope.incomingTraceparent;
  }

  private isTrusted(scope: RequestScope, carrier: unknown, getter: TextMapGetter): boolean {
    const raw = scope.request.socket?.remoteAddress;
    // A dual-stack server sees IPv4 callers as ::ffff:a.b.c.d.
    const address = raw?.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
    if (address && this.trustedAddresses.check(address, remoteAddressType(address))) return true;
    if (!this.secret) return false;
    const presented = getter.get(carrier, TRUST_HEADER);
    const value = Array.isArray(presented) ? presented[0] : presented;
    if (!value) return false;
    const candidate = Buffer.from(value);
    return candidate.length === this.secret.length && timingSafeEqual(candidate, this.secret);
  }
}
