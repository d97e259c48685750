#!/usr/bin/env bash
# Runs scripts/backup.sh now and then every BACKUP_INTERVAL, forever (the compose `backup` service's command).
#
#   BACKUP_INTERVAL: 30m, 6h, 1d, 45s or a plain number of seconds (default 1d), measured start to start.
#
# Each run logs one JSON line on stdout: {"time","event":"backup","status":"ok"|"failed","exitCode","durationMs",
# "nextRunInSeconds","backup":<backup.sh's summary>|null}. backup.sh's progress and errors pass through on stderr.
# A failing run is logged and the next one happens at the next interval: only SIGTERM/SIGINT end the loop.
# Exit codes: 0 stopped by a signal; 1 BACKUP_INTERVAL is invalid (nothing has run).
set -euo pipefail
TOOL_NAME=backup-scheduler
# shellcheck source=backup-lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-lib/common.sh"
backup_script="$(dirname "${BASH_SOURCE[0]}")/backup.sh"

# interval_seconds VALUE: 30m → 1800, 6h → 21600, 1d → 86400, 45s or 45 → 45; empty output when invalid.
interval_seconds() {
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

interval_text=${BACKUP_INTERVAL:-1d}
interval=$(interval_seconds "$interval_text")
if [[ -z $interval ]] || ((interval <= 0)); then
  die 1 "BACKUP_INTERVAL must be a positive number of seconds or a duration like 30m, 6h or 1d, got \"$interval_text\""
fi

output=$(mktemp "${TMPDIR:-/tmp}/drop-backup-scheduler.XXXXXX")
stop() {
  # Every running child of this shell: the backup (its own process group through setsid, so node/pg_dump stop
  # too and backup.sh's trap removes its partial file) or the sleep between runs (no group of its own).
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

log "backing up every $interval_text (${interval}s)"
while true; do
  started_ms=$(now_ms)
  setsid --wait "$backup_script" >"$output" &
  code=0
  wait "$!" || code=$?
  duration_ms=$(($(now_ms) - started_ms))
  wait_s=$((interval - duration_ms / 1000))
  ((wait_s > 0)) || wait_s=0
  summary=$(tail -n 1 -- "$output")
  [[ $code == 0 && $summary == \{*\} ]] || summary=null
  printf '{"time":"%s","event":"backup","status":"%s","exitCode":%s,"durationMs":%s,"nextRunInSeconds":%s,"backup":%s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$([[ $code == 0 ]] && echo ok || echo failed)" "$code" "$duration_ms" "$wait_s" "$summary"
  # Sleep in the background so SIGTERM (docker stop) ends the wait at once.
  sleep "$wait_s" >/dev/null 2>&1 &
  wait "$!" || true
done
