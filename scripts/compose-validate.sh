#!/usr/bin/env bash
# Validates docker-compose.yml with `docker-compose config` (no Docker engine needed): the default stack (without
# Sentry values), with them, the postgres profile with docker-compose.postgres.yml, and the jaeger profile with its extras file. .env.example
# stands in for .env (so it must stay complete), and the required variables get harmless values.
#   COMPOSE="docker compose" scripts/compose-validate.sh   to use the v2 plugin instead of docker-compose.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a compose <<<"${COMPOSE:-docker-compose}"
root=$PWD
# A stand-in project directory: the repository's files (symlinked) with .env.example as its .env.
project=$(mktemp -d "${TMPDIR:-/tmp}/drop-compose.XXXXXX")
trap 'rm -rf "$project"' EXIT
for entry in docker-compose.yml docker-compose.postgres.yml Dockerfile otel otel-collector.yaml otel-collector.extras.yaml; do
  ln -s "$root/$entry" "$project/$entry"
done
cp .env.example "$project/.env"

export AUTH_SECRET=compose-validate-auth-secret-0123456789abcdef
export AUDIT_SIGNING_KEY='-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAOZ27mvAYPdwXflzzi6q7jBXBthiyAHGblkK8cR5qcC\n-----END PRIVATE KEY-----\n'
# Sentry is optional: the default checks run without its values, one check with them.
unset SENTRY_OTLP_TRACES_ENDPOINT SENTRY_OTLP_LOGS_ENDPOINT SENTRY_PUBLIC_KEY
export POSTGRES_PASSWORD=compose-validate-password
export ALERTS_INTAKE_TOKEN=compose-validate-intake-token-0123456789

compose_in_project() { "${compose[@]}" --project-directory "$project" "$@"; }

# check NAME [compose arguments…]: `config` must accept the combination.
check() {
  local name=$1
  shift
  compose_in_project "$@" config -q
  echo "compose config ($name): ok"
}

check default -f docker-compose.yml
SENTRY_OTLP_TRACES_ENDPOINT=https://o1.ingest.us.sentry.io/api/2/integration/otlp/v1/traces \
  SENTRY_OTLP_LOGS_ENDPOINT=https://o1.ingest.us.sentry.io/api/2/integration/otlp/v1/logs \
  SENTRY_PUBLIC_KEY=0123456789abcdef0123456789abcdef check sentry -f docker-compose.yml
check postgres -f docker-compose.yml -f docker-compose.postgres.yml --profile postgres
OTEL_COLLECTOR_EXTRAS=./otel/collector/examples/extras.jaeger.yaml check jaeger -f docker-compose.yml --profile jaeger
OTEL_COLLECTOR_EXTRAS=./otel/collector/examples/extras.prometheus.yaml check grafana -f docker-compose.yml --profile grafana

# postgres, jaeger, prometheus and grafana only start with their profile.
resolved=$(compose_in_project -f docker-compose.yml config)
for service_profile in postgres:postgres jaeger:jaeger prometheus:grafana grafana:grafana; do
  service=${service_profile%%:*} profile=${service_profile#*:}
  awk -v s="  $service:" '$0 == s {found=1; next} found && /^  [^ ]/ {exit} found' <<<"$resolved" | grep -qx "    - $profile" ||
    { echo "the $service service is not limited to the $profile profile"; exit 1; }
done

# The grafana profile mounts files that must exist: Prometheus' config, Grafana's provisioning and the dashboards.
for file in otel/prometheus/prometheus.yml otel/grafana/provisioning/datasources/prometheus.yaml \
  otel/grafana/provisioning/dashboards/drop.yaml; do
  [[ -f $file ]] || { echo "the grafana profile mounts $file, which is missing"; exit 1; }
done
compgen -G 'otel/dashboards/*.json' >/dev/null || { echo 'the grafana profile has no dashboards in otel/dashboards'; exit 1; }

# The postgres override must really point the app and the backups at the postgres service.
urls=$(compose_in_project -f docker-compose.yml -f docker-compose.postgres.yml --profile postgres config | grep -c 'DATABASE_URL: postgres://drop:compose-validate-password@postgres:5432/drop')
[[ $urls == 2 ]] || { echo "docker-compose.postgres.yml: expected DATABASE_URL on app and backup, found $urls"; exit 1; }

# Without the required values compose must refuse to start, naming the variable.
if AUTH_SECRET='' compose_in_project -f docker-compose.yml config -q 2>"$project/err"; then
  echo 'compose accepted an empty AUTH_SECRET'
  exit 1
fi
grep -q AUTH_SECRET "$project/err" || { cat "$project/err"; exit 1; }
if AUDIT_SIGNING_KEY='' compose_in_project -f docker-compose.yml config -q 2>"$project/err"; then
  echo 'compose accepted an empty AUDIT_SIGNING_KEY'
  exit 1
fi
grep -q AUDIT_SIGNING_KEY "$project/err" || { cat "$project/err"; exit 1; }
if ALERTS_INTAKE_TOKEN='' compose_in_project -f docker-compose.yml config -q 2>"$project/err"; then
  echo 'compose accepted an empty ALERTS_INTAKE_TOKEN'
  exit 1
fi
grep -q ALERTS_INTAKE_TOKEN "$project/err" || { cat "$project/err"; exit 1; }

# The collector and the alert processor get the same intake token.
tokens=$(compose_in_project -f docker-compose.yml config | grep -c "ALERTS_INTAKE_TOKEN: $ALERTS_INTAKE_TOKEN")
[[ $tokens == 2 ]] || { echo "ALERTS_INTAKE_TOKEN: expected on otel-collector and alert-processor, found $tokens"; exit 1; }
echo 'compose validation passed'
