// `npm run collector:validate`: checks otel-collector.yaml with the real collector binary (built or cached by
// scripts/collector/otelcol.ts): alone and with the default extras file without any Sentry value (Sentry is
// optional), with every extras example (two --config flags, as docker-compose runs it; Sentry's with its three
// values), with Sentry and an operator's backend together (as compose runs it with the Sentry values set), then that
// each merge really contains the extras' pipelines.
// Also checks that docker-compose.yml runs the collector release pinned in otel/collector/builder-config.yaml.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ensureCollector, repoRoot } from './collector/otelcol';

const BASE = 'otel-collector.yaml';
const DEFAULT_EXTRAS = 'otel-collector.extras.yaml';
const EXAMPLES_DIR = 'otel/collector/examples';

const SENTRY_EXTRAS = `${EXAMPLES_DIR}/extras.sentry.yaml`;

// Harmless values for every variable the configs read without a default; the Sentry ones only for its file, so
// that the base config is proven to need none of them.
const ENV = {
  OTLP_VENDOR_ENDPOINT: 'https://otlp.vendor.invalid/otlp',
  OTLP_VENDOR_AUTHORIZATION: 'Bearer validate-only',
};
const SENTRY_ENV = {
  SENTRY_OTLP_TRACES_ENDPOINT: 'https://o1.ingest.us.sentry.io/api/2/integration/otlp/v1/traces',
  SENTRY_OTLP_LOGS_ENDPOINT: 'https://o1.ingest.us.sentry.io/api/2/integration/otlp/v1/logs',
  SENTRY_PUBLIC_KEY: '0123456789abcdef0123456789abcdef',
};

type Pipelines = Record<string, unknown>;
const failures: string[] = [];

function collector(binary: string, args: string[], withSentry: boolean): { ok: boolean; output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...ENV, ...(withSentry ? SENTRY_ENV : {}) };
  if (!withSentry) for (const name of Object.keys(SENTRY_ENV)) delete env[name];
  const result = spawnSync(binary, args, { cwd: repoRoot, env, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

function pipelinesOf(yamlText: string): Pipelines {
  const config = (parse(yamlText) ?? {}) as { service?: { pipelines?: Pipelines } };
  return config.service?.pipelines ?? {};
}

function validate(binary: string, configs: string[]): void {
  const withSentry = configs.includes(SENTRY_EXTRAS);
  const label = `${configs.join(' + ')}${withSentry ? '' : ' (no Sentry values)'}`;
  const flags = configs.flatMap((config) => ['--config', config]);
  const validated = collector(binary, ['validate', ...flags], withSentry);
  if (!validated.ok) {
    failures.push(`${label}: ${validated.output}`);
    process.stderr.write(`✗ ${label}\n${validated.output}\n`);
    return;
  }
  // The merged configuration must hold the base pipelines and every pipeline the extras file adds.
  const printed = collector(binary, ['print-config', ...flags], withSentry);
  const merged = printed.ok ? pipelinesOf(printed.output) : {};
  const expected = configs.flatMap((config) => Object.keys(pipelinesOf(fs.readFileSync(path.join(repoRoot, config), 'utf8'))));
  const missing = expected.filter((name) => !(name in merged));
  if (!printed.ok || missing.length > 0) {
    failures.push(`${label}: merged config lacks ${missing.join(', ') || 'everything'}\n${printed.output}`);
    process.stderr.write(`✗ ${label}: merged config lacks ${missing.join(', ') || 'everything'}\n`);
    return;
  }
  if (!withSentry && Object.keys(merged).some((name) => name.endsWith('/sentry'))) {
    failures.push(`${label}: has Sentry pipelines without extras.sentry.yaml`);
    return;
  }
  process.stderr.write(`✓ ${label} (${Object.keys(merged).length} pipelines)\n`);
}

/** docker-compose.yml and otel/collector/Dockerfile must run the release the manifest pins. */
function checkComposePin(version: string): void {
  const compose = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { build?: { args?: Record<string, string> }; image?: string }>;
  };
  const service = compose.services['otel-collector'];
  const composeVersion = service?.build?.args?.OTELCOL_VERSION;
  const dockerfile = fs.readFileSync(path.join(repoRoot, 'otel/collector/Dockerfile'), 'utf8');
  const dockerfileVersion = /^ARG OTELCOL_VERSION=(\S+)$/m.exec(dockerfile)?.[1];
  const found = { 'docker-compose.yml build arg': composeVersion, 'otel/collector/Dockerfile ARG': dockerfileVersion };
  for (const [where, value] of Object.entries(found)) {
    if (value !== version) failures.push(`${where} is ${value ?? 'missing'}, the manifest pins ${version}`);
  }
  if (!service?.image?.endsWith(`:${version}`)) failures.push(`otel-collector image ${service?.image} is not tagged ${version}`);
  if (failures.length === 0) process.stderr.write(`✓ docker-compose.yml runs otel/opentelemetry-collector-contrib:${version}\n`);
}

const build = ensureCollector();
process.stderr.write(`[collector] ${build.binary} (${build.version})\n`);
validate(build.binary, [BASE]);
validate(build.binary, [BASE, DEFAULT_EXTRAS]);
for (const example of fs
  .readdirSync(path.join(repoRoot, EXAMPLES_DIR))
  .filter((f) => f.endsWith('.yaml'))
  .sort()) {
  validate(build.binary, [BASE, `${EXAMPLES_DIR}/${example}`]);
}
// Compose with the Sentry values and an operator's backend: the extras file and Sentry's, both merged.
validate(build.binary, [BASE, `${EXAMPLES_DIR}/extras.otlp-vendor.yaml`, SENTRY_EXTRAS]);
checkComposePin(build.version);

if (failures.length > 0) {
  process.stderr.write(`collector:validate: ${failures.length} problem(s)\n${failures.join('\n')}\n`);
  process.exit(1);
}
process.stderr.write('collector:validate: all configurations are valid\n');
