import path from 'node:path';
import { pathToFileURL } from 'node:url';
/**
 * The servers bench:overhead compares: the same `next build`, started with different environment. Each exports
 * to its own path on the one local OTLP sink (`<sink>/<variant>/v1/traces`), so the sink can tell who sent what.
 */
export type VariantName = 'uninstrumented' | 'uninstrumented-aa' | 'full' | 'floor' | 'vercel-otel' | 'node-sdk-auto' | 'lever' | 'sentry';

/** Where a server of the run exports (`<sinkUrl>/<served>/v1/…`) and which checkout serves it (its bench/peers). */
export interface ServerPlace {
  sinkUrl: string;
  /** The served name: the variant's, with `@<label>` for a server of the --beside checkout. */
  served: string;
  root: string;
}

export interface Variant {
  name: VariantName;
  /** What the variant records and sends, for the report and docs/PERFORMANCE.md's table. */
  records: string;
  env(place: ServerPlace): Record<string, string>;
}

const disabled = () => ({ OTEL_SDK_DISABLED: 'true' });
/**
 * A peer in Drop's build, started from bench/peers by Node before Next loads (`--import`): Drop's layer finds the
 * peer's SDK registered and steps aside (no SDK, no OTLP records of its own), so what is exported is only what the
 * peer's own set-up makes (auto-instrumentations' pino stream, for node-sdk-auto).
 */
const peer = (place: ServerPlace, name: VariantName) => ({
  ...exporting(place),
  NODE_OPTIONS: `--import ${pathToFileURL(path.join(place.root, 'bench', 'peers', `${name}.mjs`)).href}`,
});
const exporting = ({ sinkUrl, served }: ServerPlace) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: `${sinkUrl}/${served}`,
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_LOGS_EXPORTER: 'otlp',
  OTEL_METRICS_EXPORTER: 'none',
});

export function variants(lever: Record<string, string>): Record<VariantName, Variant> {
  return {
    uninstrumented: { name: 'uninstrumented', records: 'nothing (OTEL_SDK_DISABLED=true); JSON log lines to stdout', env: disabled },
    'uninstrumented-aa': {
      name: 'uninstrumented-aa',
      records: 'the same as uninstrumented: the A/A pair, whose ratio is the noise floor',
      env: disabled,
    },
    full: {
      name: 'full',
      records: "Drop's layer: Next's request and handler spans, DB transaction spans (+ slow statements), OTLP logs, audit span events",
      env: exporting,
    },
    floor: {
      name: 'floor',
      records:
        "Drop's layer with nothing recorded (OTEL_TRACES_SAMPLER=always_off) and logs not exported: SDK, context manager, Next's tracing",
      env: (place) => ({ ...exporting(place), OTEL_TRACES_SAMPLER: 'always_off', OTEL_LOGS_EXPORTER: 'none' }),
    },
    'vercel-otel': {
      name: 'vercel-otel',
      records: "@vercel/otel registerOTel(): Next's spans (all of them) and fetch spans over OTLP; no DB spans, no OTLP logs",
      env: (place) => peer(place, 'vercel-otel'),
    },
    'node-sdk-auto': {
      name: 'node-sdk-auto',
      records:
        "NodeSDK + auto-instrumentations-node, started with node --import: the http server span, Next's spans (all of them), pino lines as OTLP logs; no DB spans",
      env: (place) => peer(place, 'node-sdk-auto'),
    },
    lever: {
      name: 'lever',
      records: `the full layer with ${
        Object.entries(lever)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '(no --lever given)'
      }`,
      env: (place) => ({ ...exporting(place), ...lever }),
    },
    sentry: {
      name: 'sentry',
      records: 'the full layer with SENTRY_DSN (at the same sink)',
      // The sink answers Sentry's envelope endpoint too: any path, 200.
      env: (place) => ({ ...exporting(place), SENTRY_DSN: `${place.sinkUrl.replace('http://', 'http://benchkey@')}/1` }),
    },
  };
}

const NAMES: VariantName[] = ['uninstrumented', 'uninstrumented-aa', 'full', 'floor', 'vercel-otel', 'node-sdk-auto', 'lever', 'sentry'];

/** A command-line value the bench refuses: its message is printed and the bench exits 2 (no stack). */
export class UsageError extends Error {}

/** `--lever KEY=VALUE[,KEY=VALUE]`: the lever variant's extra environment; a pair without `=` or a key is refused. */
export function parseLever(text: string): Record<string, string> {
  const lever: Record<string, string> = {};
  for (const pair of text ? text.split(',') : []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--lever: "${pair}" is not KEY=VALUE`);
    lever[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return lever;
}

/** Which variants a run serves, by its flags; the first is the baseline every ratio is taken against. */
export function chooseVariants(flags: { sentry: boolean; aa: boolean; lever: boolean; only: string | undefined }): VariantName[] {
  if (flags.only) {
    const names = flags.only.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !(NAMES as string[]).includes(name));
    if (unknown.length) throw new UsageError(`--variants: unknown ${unknown.map((n) => `"${n}"`).join(', ')} (one of ${NAMES.join(', ')})`);
    if (new Set(names).size !== names.length) throw new UsageError(`--variants: "${flags.only}" names a variant twice`);
    return names as VariantName[];
  }
  if (flags.sentry) return ['full', 'sentry'];
  if (flags.aa) return ['uninstrumented', 'uninstrumented-aa'];
  if (flags.lever) return ['uninstrumented', 'full', 'lever', 'uninstrumented-aa'];
  return ['uninstrumented', 'full', 'floor', 'vercel-otel', 'node-sdk-auto', 'uninstrumented-aa'];
}

/** A second checkout serving every variant beside this one's: another commit, or the same under another Node. */
export interface Beside {
  label: string;
  root: string;
  /** The node binary its servers run on (its node_modules are built for it). */
  node: string;
}

/** `--beside LABEL=DIR[:NODE]`: a label of letters, digits, `-` or `_`, a checkout, and the node that serves it. */
export function parseBeside(text: string, defaultNode: string): Beside | undefined {
  if (!text) return undefined;
  const match = /^([A-Za-z0-9_-]+)=([^:]+)(?::(.+))?$/.exec(text);
  if (!match) throw new UsageError(`--beside: "${text}" is not LABEL=DIR[:NODE] (LABEL of letters, digits, - or _)`);
  return { label: match[1]!, root: path.resolve(match[2]!), node: match[3] ?? defaultNode };
}

/** The variant a served name stands for, and the --beside label it carries ('' for this checkout's servers). */
export function parseServed(served: string): { variant: VariantName; label: string } {
  const at = served.indexOf('@');
  return at < 0
    ? { variant: served as VariantName, label: '' }
    : { variant: served.slice(0, at) as VariantName, label: served.slice(at + 1) };
}
