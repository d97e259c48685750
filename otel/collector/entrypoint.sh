#!/usr/local/bin/busybox sh
# The collector image's entry point: the upstream collector with the given flags, plus Sentry's exporter and pipelines
# (OTEL_COLLECTOR_SENTRY_CONFIG, where docker-compose.yml mounts otel/collector/examples/extras.sentry.yaml) when the
# three Sentry values are set. None set: no Sentry. Some but not all: a clear error instead of a half-configured exporter.
set -eu
sentry_config=${OTEL_COLLECTOR_SENTRY_CONFIG:-/etc/otelcol/sentry.yaml}
given=0
missing=""
for name in SENTRY_OTLP_TRACES_ENDPOINT SENTRY_OTLP_LOGS_ENDPOINT SENTRY_PUBLIC_KEY; do
  eval "value=\${$name:-}"
  if [ -n "$value" ]; then given=$((given + 1)); else missing="$missing $name"; fi
done
if [ "$given" = 3 ]; then
  exec /otelcol-contrib "$@" "--config=$sentry_config"
fi
if [ "$given" = 0 ]; then
  echo "collector: no Sentry values, so no Sentry exporter (docs/MONITORING.md#sentry)" >&2
  exec /otelcol-contrib "$@"
fi
echo "collector: Sentry needs all three values, missing:$missing (docs/MONITORING.md#sentry)" >&2
exit 1
