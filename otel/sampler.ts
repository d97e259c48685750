import { SpanKind, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';
import type { TelemetryConfig, TracesSamplerSetting } from './config';

/**
 * Next.js's per-request plumbing (`next.span_type`): finding, loading and preparing the route's module, and the
 * moment the response starts. Five of the seven spans Next makes for an API request, each a few microseconds
 * long once the module is loaded. The request span and the handler span (the parent of the DB spans) stay.
 */
export const NEXT_PLUMBING_SPAN_TYPES: ReadonlySet<string> = new Set([
  'NextNodeServer.findPageComponents',
  'LoadComponents.loadRouteModule',
  'RouteModule.prepare',
  'AppRouteRouteModule.loadUserland',
  'NextNodeServer.getLayoutOrPageModule',
  'NextNodeServer.clientComponentLoading',
  'NextNodeServer.startResponse',
]);

const NOT_RECORDED: SamplingResult = { decision: SamplingDecision.NOT_RECORD };

/**
 * Records none of Next's plumbing spans and asks the configured sampler about every other span. A span that is
 * not recorded costs next to nothing: no attributes kept, no processor, no export. Its children (module
 * loading can run a module's top-level code) are left out with it by the parent-based samplers.
 */
export class NextPlumbingFilterSampler implements Sampler {
  constructor(private readonly delegate: Sampler) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const type = attributes['next.span_type'];
    if (typeof type === 'string' && NEXT_PLUMBING_SPAN_TYPES.has(type)) return NOT_RECORDED;
    return this.delegate.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `NextPlumbingFilterSampler{${this.delegate.toString()}}`;
  }
}

function standardSampler({ name, ratio }: TracesSamplerSetting): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The sampler of the configuration (OTEL_TRACES_SAMPLER, or SENTRY_TRACES_SAMPLE_RATE), behind the plumbing filter. */
export function tracesSampler(config: TelemetryConfig): Sampler {
  const sampler = standardSampler(config.tracesSampler);
  return config.nextInternalSpans ? sampler : new NextPlumbingFilterSampler(sampler);
}
