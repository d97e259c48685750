#!/usr/bin/env bash
# A restore drill: restores a backup made by scripts/backup.sh into a scratch database, checks it the way a real
# restore would be checked, and throws the scratch copy away. The live database is never touched.
#
#   restore-drill.sh FILE        (also: scripts/restore.sh --drill FILE, npm run restore -- --drill FILE)
#
#   SQLite (.db, .db.gz): copied (or decompressed) into a scratch file under TMPDIR while its SHA-256 is taken,
#     which must match FILE.sha256; then PRAGMA integrity_check, then `npm run audit:verify` on the scratch file.
#   PostgreSQL (.dump): the checksum, pg_restore --list, pg_restore into a scratch database on the server
#     DATABASE_URL names (<name>_drill_<stamp>, dropped afterwards; the role needs CREATEDB), then audit:verify on it.
# Output: progress on a terminal; one summary sentence on stderr; one JSON line on stdout, also when the drill fails
#   {"drill","dialect","ok","failed","message","checksum","integrity","check","audit":{"ok","entries","lastId"},
#    "bytes","durationMs","phasesMs"}; on bad usage or configuration (exit 1) {"ok":false,"exitCode":1,"message"}
# Exit codes: 0 the backup restores and checks out; 1 bad usage or configuration; 2 the drill could not run (no
#   space, server unreachable); 3 the backup failed a check (checksum, integrity, audit chain).
set -euo pipefail
TOOL_NAME=drill
FAILURE_JSON=1 # bad usage (exit 1): {"ok":false,"exitCode","message"}; a drill that ran: its summary, below
# shellcheck source=backup-lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-lib/common.sh"
ROOT=$(cd "$BACKUP_LIB_DIR/../.." && pwd)

[[ $# -eq 1 && $1 != -* ]] || die 1 'usage: scripts/restore.sh --drill FILE   (FILE: a drop-….db, .db.gz or .dump made by scripts/backup.sh)'
file=$1
[[ -f $file ]] || die 1 "no such backup file: $file"
file=$(cd -- "$(dirname -- "$file")" && pwd)/$(basename -- "$file")
started_ms=$(now_ms)

case $file in
  *.db | *.db.gz) dialect=sqlite ;;
  *.dump) dialect=postgres ;;
  *) die 1 "$file is not a backup made by scripts/backup.sh (.db, .db.gz or .dump)" ;;
esac

checksum=null integrity=null check=null audit=null bytes=$(stat -c %s -- "$file")
phases=()
phase_started=$(now_ms)
phase_done() {
  local now
  now=$(now_ms)
  phases+=("\"$1\":$((now - phase_started))")
  phase_started=$now
}

# summary OK FAILED MESSAGE: the sentence on stderr and the JSON line on stdout.
summary() {
  local ok=$1 failed=$2 message=$3 seconds
  seconds=$(printf '%d.%01d' $((($(now_ms) - started_ms) / 1000)) $(((($(now_ms) - started_ms) % 1000) / 100)))
  if [[ $ok == true ]]; then
    log "drill ok: $(basename -- "$file") restores; $message ($seconds s)"
  else
    log "drill FAILED at the $failed check: $(basename -- "$file"): $message ($seconds s)"
  fi
  printf '{"drill":%s,"dialect":"%s","ok":%s,"failed":%s,"message":%s,"checksum":%s,"integrity":%s,"check":%s,"audit":%s,"bytes":%s,"durationMs":%s,"phasesMs":{%s}}\n' \
    "$(json_string "$file")" "$dialect" "$ok" "$([[ -n $failed ]] && json_string "$failed" || echo null)" \
    "$(json_string "$message")" "$checksum" "$integrity" "$check" "$audit" "$bytes" "$(($(now_ms) - started_ms))" \
    "$(IFS=,; echo "${phases[*]}")"
}

# fail EXIT_CODE STAGE MESSAGE: the summary of a failed drill, then exit.
fail() {
  summary false "$2" "$3"
  exit "$1"
}

[[ -f $file.sha256 ]] || fail 3 checksum "$file.sha256 is missing: the backup cannot be verified"
expected_sha=$(cut -d' ' -f1 <"$file.sha256")
[[ $expected_sha =~ ^[0-9a-f]{64}$ ]] || fail 3 checksum "$file.sha256 holds no SHA-256"

# matches_checksum SHA: records the checksum verdict; fails the drill on a mismatch.
matches_checksum() {
  if [[ $1 != "$expected_sha" ]]; then
    checksum='"mismatch"'
    fail 3 checksum "checksum mismatch: $file.sha256 says $expected_sha, the file hashes to $1; the backup is damaged"
  fi
  checksum='"ok"'
}

# verify_audit URL: `npm run audit:verify --json` against URL; sets audit, fails the drill on a broken chain.
verify_audit() {
  local result code=0 entries last_id errors reason
  log 'verifying the audit chain of the restored copy (npm run audit:verify)'
  errors=$(mktemp "${TMPDIR:-/tmp}/drop-drill-audit-XXXXXX") || fail 2 audit "cannot create a temporary file under ${TMPDIR:-/tmp}"
  # Its stderr is shown as it comes (its progress) and kept: when it cannot check, its reason goes into the summary.
  # (stdout → fd 3 → $result; stderr → tee; pipefail gives the verifier's exit code)
  result=$({ { cd "$ROOT" && DATABASE_URL=$1 OTEL_SDK_DISABLED=true ops_command audit-verify audit-verify.ts --json 2>&1 >&3 3>&-; } | tee -- "$errors" >&2; } 3>&1) || code=$?
  reason=$(sed -n 's/^audit:verify could not check the chain: //p' -- "$errors" | head -n 1)
  rm -f -- "$errors"
  phase_done audit
  if ((code == 2)) || [[ ! $result =~ \"entries\":([0-9]+) ]]; then
    fail 2 audit "npm run audit:verify could not check the restored copy (exit $code): ${reason:-no reason given, see its output above}"
  fi
  entries=${BASH_REMATCH[1]}
  last_id=null
  ((entries == 0)) || { [[ $result =~ \"lastId\":([0-9]+) ]] && last_id=${BASH_REMATCH[1]}; }
  if ((code != 0)); then
    audit="{\"ok\":false,\"entries\":$entries,\"lastId\":$last_id}"
    local broken='' why=''
    [[ $result =~ \"firstBroken\":\{\"id\":([0-9]+) ]] && broken=${BASH_REMATCH[1]}
    [[ $result =~ \"reason\":\"([a-z_]+)\" ]] && why=${BASH_REMATCH[1]}
    fail 3 audit "audit chain BROKEN at entry ${broken:-?} (${why:-see npm run audit:verify}); the $entries entries before it are intact"
  fi
  audit="{\"ok\":true,\"entries\":$entries,\"lastId\":$last_id}"
  if ((entries == 0)); then
    audit_sentence='audit chain empty (0 entries)'
  else
    audit_sentence="audit chain intact ($entries entries, newest #$last_id)"
  fi
}

drill_sqlite() {
  local scratch_dir scratch sha verdict
  scratch_dir=$(mktemp -d "${TMPDIR:-/tmp}/drop-drill-XXXXXX") || fail 2 copy "cannot create a scratch directory under ${TMPDIR:-/tmp}"
  # Global for the EXIT trap.
  drill_scratch_dir=$scratch_dir
  trap 'rm -rf -- "$drill_scratch_dir"' EXIT
  trap 'exit 2' INT TERM HUP
  scratch=$scratch_dir/drop.db
  log "restoring $(basename -- "$file") into $scratch"
  local needed free
  if [[ $file == *.gz ]]; then
    needed=$(gzip -l -- "$file" 2>/dev/null | awk 'NR == 2 { print $2 }')
  else
    needed=$(stat -c %s -- "$file")
  fi
  free=$(free_bytes "$scratch_dir")
  if [[ -n $needed && -n $free ]] && ((needed > free)); then
    fail 2 copy "$(no_space "$scratch_dir" "$needed") for the scratch copy (TMPDIR); the backup was not checked"
  fi
  if [[ $file == *.gz ]]; then
    sha=$(sha256_of "$file") || fail 2 copy "cannot read $file"
    matches_checksum "$sha"
    if ! gzip -dc -- "$file" >"$scratch"; then
      disk_full "$scratch_dir" && fail 2 copy "$(no_space "$scratch_dir" "$needed") for the scratch copy (TMPDIR); the backup was not checked"
      gzip -t -- "$file" 2>/dev/null && fail 2 copy "cannot write the scratch copy into $scratch_dir"
      fail 3 integrity "$file does not decompress"
    fi
  else
    # One pass: the checksum is taken on the bytes written into the scratch file, every write checked.
    local code=0
    sha=$(node "$BACKUP_LIB_DIR/sha256.mjs" "$file" --copy-to "$scratch") || code=$?
    if ((code == NO_SPACE_EXIT)) || { ((code != 0)) && disk_full "$scratch_dir"; }; then
      fail 2 copy "$(no_space "$scratch_dir" "$needed") for the scratch copy (TMPDIR); the backup was not checked"
    fi
    ((code == 0)) || fail 2 copy "cannot copy $file into $scratch_dir"
    matches_checksum "$sha"
  fi
  phase_done copy
  check='"integrity_check"'
  log 'checking the restored copy (PRAGMA integrity_check)'
  verdict=$(BACKUP_VERIFY=full with_elapsed 'PRAGMA integrity_check' node "$BACKUP_LIB_DIR/sqlite-verify-copy.mjs" "$scratch") || {
    integrity=$(json_string "$verdict")
    phase_done integrity
    fail 3 integrity "PRAGMA integrity_check: $verdict"
  }
  integrity='"ok"'
  phase_done integrity
  verify_audit "file:$scratch"
  summary true '' "checksum ok, integrity_check ok, $audit_sentence"
}

drill_postgres() {
  resolve_database
  [[ $DIALECT == postgres ]] || die 1 "$file is a PostgreSQL dump: set DATABASE_URL to a postgres:// URL of the server to drill on"
  local pg_restore sha stamp
  pg_restore=$(find_pg_tool pg_restore)
  # Globals, not locals: the EXIT trap that drops the scratch database runs after this function has returned.
  drill_psql=$(find_pg_tool psql)
  sha=$(sha256_of "$file") || fail 2 copy "cannot read $file"
  matches_checksum "$sha"
  "$pg_restore" --list -- "$file" >/dev/null || fail 3 integrity "$file does not pass pg_restore --list"
  stamp=$(date -u +%Y%m%dt%H%M%Sz)
  drill_db="$(pg_url_database "$PG_URL" | cut -c1-32)_drill_${stamp}_$$"
  drill_db=${drill_db:0:63}
  drill_admin_url=$(pg_url_with_database "$PG_URL" postgres)
  drill_admin() {
    "$drill_psql" --no-psqlrc --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 --set=scratch="$drill_db" \
      --dbname="$drill_admin_url" <<<"$1"
  }
  trap 'drill_admin "DROP DATABASE IF EXISTS :\"scratch\" WITH (FORCE);" >/dev/null || log "cannot drop the scratch database $drill_db: drop it by hand"' EXIT
  trap 'exit 2' INT TERM HUP
  drill_admin 'CREATE DATABASE :"scratch" TEMPLATE template0;' || fail 2 copy "cannot create the scratch database $drill_db (the role needs CREATEDB)"
  log "restoring $(basename -- "$file") into the scratch database $drill_db"
  check='"pg_restore"'
  with_elapsed pg_restore "$pg_restore" --no-owner --exit-on-error --single-transaction --dbname="$(pg_url_with_database "$PG_URL" "$drill_db")" -- "$file" || {
    integrity='"failed"'
    fail 3 integrity "pg_restore into $drill_db failed"
  }
  integrity='"ok"'
  phase_done restore
  verify_audit "$(pg_url_with_database "$PG_URL" "$drill_db")"
  summary true '' "checksum ok, pg_restore into a scratch database ok, $audit_sentence"
}

if [[ $dialect == sqlite ]]; then drill_sqlite; else drill_postgres; fi
