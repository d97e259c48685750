#!/usr/bin/env bash
# Runs scripts/backup.sh as soon as the database is there, then every BACKUP_INTERVAL, forever (the compose `backup`
# service's command). See docs/DEPLOYMENT.md, "Schedule".
#
#   First backup: as soon as the database exists and is migrated (SQLite file present, PostgreSQL reachable, every
#     migration applied: scripts/backup-lib/database-ready.ts), checked every BACKUP_POLL (5s). A database still
#     not there after BACKUP_FIRST_WAIT (5m) counts as a failed (missed) backup.
#   After a failure: retries after BACKUP_RETRY_MIN (1m), doubling, at most BACKUP_RETRY_MAX (1h) and at most half
#     the interval; a database that comes back is backed up at once.
#   After a success: the next run BACKUP_INTERVAL (1d) after this one started.
#   Durations: 30m, 6h, 1d, 45s or a plain number of seconds.
#
# Each attempt logs one JSON line on stdout: {"time","event":"backup","status":"ok"|"failed","exitCode","attempt",
# "errorType","durationMs","nextRunInSeconds","backup":<backup.sh's summary>|null}, and — when an OTLP endpoint is
# set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) — the same outcome as an OTLP log record
# backup.succeeded / backup.failed of service drop-backup (scripts/backup-lib/backup-event.ts), which the alert
# processor turns into an alert. backup.sh's progress and errors pass through on stderr.
# Only SIGTERM/SIGINT end the loop.
# Exit codes: 0 stopped by a signal; 1 a BACKUP_* duration is invalid (nothing has run).
set -euo pipefail
TOOL_NAME=backup-scheduler
scripts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=backup-lib/common.sh
source "$scripts_dir/backup-lib/common.sh"
backup_script="$scripts_dir/backup.sh"

# seconds_of VALUE: 30m → 1800, 6h → 21600, 1d → 86400, 45s or 45 → 45; empty output when invalid.
seconds_of() {
  local value=$1
  [[ $value =~ ^([0-9]+)([smhd]?)$ ]] || return 0
  local n=$((10#${BASH_REMATCH[1]}))
  case ${BASH_REMATCH[2]} in
    '' | s) echo "$n" ;;
    m) echo $((n * 60)) ;;
    h) echo $((n * 3600)) ;;
    d) echo $((n * 86400)) ;;
  esac
}

# duration NAME DEFAULT MIN: the seconds of $NAME (or DEFAULT), exit 1 when invalid or below MIN.
duration() {
  local name=$1 text=${!1:-$2} min=$3 seconds
  seconds=$(seconds_of "$text")
  if [[ -z $seconds ]] || ((seconds < min)); then
    die 1 "$name must be $([[ $min -gt 0 ]] && echo 'a positive' || echo 'a') number of seconds or a duration like 30m, 6h or 1d, got \"$text\""
  fi
  echo "$seconds"
}

interval_text=${BACKUP_INTERVAL:-1d}
interval=$(duration BACKUP_INTERVAL 1d 1)
poll=$(duration BACKUP_POLL 5s 1)
first_wait=$(duration BACKUP_FIRST_WAIT 5m 0)
retry_min=$(duration BACKUP_RETRY_MIN 1m 1)
retry_max=$(duration BACKUP_RETRY_MAX 1h 1)
# Retries stay below the interval: a failing schedule tries again well before the next regular run.
retry_cap=$((interval / 2))
((retry_cap >= 1)) || retry_cap=1
((retry_max < retry_cap)) && retry_cap=$retry_max

# retry_delay ATTEMPT: BACKUP_RETRY_MIN × 2^(ATTEMPT-1), capped.
retry_delay() {
  local delay=$retry_min n=1
  while ((n < $1 && delay < retry_cap)); do
    delay=$((delay * 2))
    n=$((n + 1))
  done
  ((delay > retry_cap)) && delay=$retry_cap
  echo "$delay"
}

events=0
[[ -n ${OTEL_EXPORTER_OTLP_ENDPOINT:-}${OTEL_EXPORTER_OTLP_LOGS_ENDPOINT:-} ]] && events=1

output=$(mktemp "${TMPDIR:-/tmp}/drop-backup-scheduler.XXXXXX")
stop() {
  # Every running child of this shell: the backup (its own process group through setsid, so node/pg_dump stop
  # too and backup.sh's trap removes its partial file), a readiness check or the sleep between runs.
  local pid
  for pid in $(jobs -p); do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  wait || true
  rm -f -- "$output"
  log 'stopping'
  exit 0
}
trap stop TERM INT

# pause SECONDS: sleeps in the background, so that SIGTERM (docker stop) ends the wait at once.
pause() {
  sleep "$1" >/dev/null 2>&1 &
  wait "$!" || true
}

# ready: whether the database is there to back up; sets not_ready to the reason when it is not.
not_ready=
ready() {
  local code=0
  not_ready=$(ops_command database-ready backup-lib/database-ready.ts 2>/dev/null) || code=$?
  ((code == 0)) && return 0
  [[ -n $not_ready ]] || not_ready="the readiness check failed (exit $code)"
  return 1
}

# report STATUS EXIT_CODE ERROR_TYPE DURATION_MS NEXT_S SUMMARY MESSAGE: the JSON line, then the OTLP event.
report() {
  local status=$1 code=$2 error_type=$3 duration_ms=$4 next_s=$5 summary=$6 message=$7
  printf '{"time":"%s","event":"backup","status":"%s","exitCode":%s,"attempt":%s,"errorType":%s,"durationMs":%s,"nextRunInSeconds":%s,"backup":%s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$status" "$code" "$attempt" "$([[ -n $error_type ]] && json_string "$error_type" || echo null)" \
    "$duration_ms" "$next_s" "$summary"
  ((events)) || return 0
  local args=(--interval "$interval" --attempt "$attempt" --next "$next_s" --message "$message")
  if [[ $status == ok ]]; then
    ops_command backup-event backup-lib/backup-event.ts succeeded "${args[@]}" >&2 &
  else
    ops_command backup-event backup-lib/backup-event.ts failed --error-type "$error_type" "${args[@]}" >&2 &
  fi
  wait "$!" || log "could not send the backup.$([[ $status == ok ]] && echo succeeded || echo failed) event"
}

# error_type EXIT_CODE: backup.sh's exit codes as short codes.
error_type() {
  case $1 in
    1) echo config_invalid ;;
    2) echo backup_failed ;;
    3) echo verification_failed ;;
    *) ((${1} > 128)) && echo killed || echo backup_failed ;;
  esac
}

# backup.sh's failure line: {"ok":false,"exitCode":N,"message":"…"}.
message_regex='"message":"(([^"\\]|\\.)*)"'

log "backing up every $interval_text (${interval}s); first as soon as the database is there"
attempt=0 # attempts since the last success, this one included
backed_up=0
started_waiting=$(date +%s)
while true; do
  if ! ready; then
    waited=$(($(date +%s) - started_waiting))
    if ((backed_up == 0 && waited < first_wait)); then
      # A fresh deploy: the app creates and migrates the database in its first seconds.
      pause "$poll"
      continue
    fi
    attempt=$((attempt + 1))
    delay=$(retry_delay "$attempt")
    log "no backup: $not_ready; next attempt within ${delay}s"
    report failed 1 database_not_ready 0 "$delay" null "backup missed: $not_ready"
    # Polled meanwhile: the backup runs as soon as the database is back.
    deadline=$(($(date +%s) + delay))
    while (($(date +%s) < deadline)); do
      left=$((deadline - $(date +%s)))
      pause "$((left < poll ? left : poll))"
      ready && break
    done
    continue
  fi

  attempt=$((attempt + 1))
  started_ms=$(now_ms)
  setsid --wait "$backup_script" >"$output" &
  code=0
  wait "$!" || code=$?
  duration_ms=$(($(now_ms) - started_ms))
  summary=$(tail -n 1 -- "$output")
  if [[ $code == 0 && $summary == \{*\} ]]; then
    wait_s=$((interval - duration_ms / 1000))
    ((wait_s > 0)) || wait_s=0
    report ok 0 '' "$duration_ms" "$wait_s" "$summary" "backup written and verified in $((duration_ms / 1000)) s (attempt $attempt)"
    attempt=0
    backed_up=1
  else
    wait_s=$(retry_delay "$attempt")
    message=
    [[ $summary =~ $message_regex ]] && message=${BASH_REMATCH[1]}
    report failed "$code" "$(error_type "$code")" "$duration_ms" "$wait_s" null \
      "backup failed (exit $code, attempt $attempt): ${message:-see the backup service log}; retry in ${wait_s} s"
  fi
  pause "$wait_s"
done
