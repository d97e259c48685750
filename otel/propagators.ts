import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';

/** The OTEL_PROPAGATORS values the layer knows (the specification's, less those that need a vendor's package). */
export const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'none'] as const;
export type PropagatorName = (typeof PROPAGATORS)[number];

/** The specification's default. */
export const DEFAULT_PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage'];

/** Values the specification names that Drop does not ship (they need a vendor's propagator package). */
const NOT_SHIPPED = new Set(['xray', 'ottrace']);

/**
 * OTEL_PROPAGATORS, as the OpenTelemetry SDK environment specification reads it: a comma-separated list, in order,
 * duplicates ignored; default `tracecontext,baggage`; `none` turns propagation off. An unknown value is ignored with a
 * warning; when nothing known is left, the default is used (a typo does not silently switch propagation off).
 */
export function parsePropagators(raw: string | undefined, warnings: string[]): PropagatorName[] {
  const values = [
    ...new Set(
      (raw ?? '')
        .split(',')
        .map((v) => v.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  if (values.length === 0) return [...DEFAULT_PROPAGATORS];
  const known = values.filter((v): v is PropagatorName => (PROPAGATORS as readonly string[]).includes(v));
  for (const value of values.filter((v) => !known.includes(v as PropagatorName))) {
    warnings.push(
      NOT_SHIPPED.has(value)
        ? `OTEL_PROPAGATORS: "${value}" needs a propagator package Drop does not ship; ignored`
        : `OTEL_PROPAGATORS: "${value}" is not a known propagator (use ${PROPAGATORS.join(', ')}); ignored`,
    );
  }
  if (known.includes('none')) {
    if (known.length > 1) warnings.push(`OTEL_PROPAGATORS: "none" turns propagation off; the other values are ignored`);
    return ['none'];
  }
  if (known.length === 0) {
    warnings.push(`OTEL_PROPAGATORS="${raw}" names no known propagator; using ${DEFAULT_PROPAGATORS.join(',')}`);
    return [...DEFAULT_PROPAGATORS];
  }
  return known;
}

function propagatorFor(name: Exclude<PropagatorName, 'none'>): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new W3CTraceContextPropagator();
    case 'baggage':
      return new W3CBaggagePropagator();
    case 'b3':
      return new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
    case 'b3multi':
      return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
    case 'jaeger':
      return new JaegerPropagator();
  }
}

/** The propagators, in the configured order (extraction: a later one's context wins, as CompositePropagator does). */
export function textMapPropagatorFor(names: readonly PropagatorName[]): TextMapPropagator {
  const propagators = names.filter((n): n is Exclude<PropagatorName, 'none'> => n !== 'none').map(propagatorFor);
  return new CompositePropagator({ propagators });
}
