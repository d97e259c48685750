#!/usr/bin/env bash
# Backs up Drop's database into BACKUP_DIR, verifies the copy, then applies retention. See docs/DEPLOYMENT.md.
#
#   SQLite (DATABASE_URL unset or file:<path>): a file-level copy of the database and its WAL under one held read
#     snapshot, safe while the app writes (scripts/backup-lib/sqlite-backup.mjs) → drop-YYYYMMDDTHHMMSSZ.db
#     (.db.gz with BACKUP_COMPRESS=1), flushed to disk, checked with PRAGMA integrity_check (BACKUP_VERIFY=full,
#     the default) or quick_check (BACKUP_VERIFY=quick); flush, checksum and check run at the same time.
#   PostgreSQL (DATABASE_URL=postgres://…): pg_dump -Fc → drop-YYYYMMDDTHHMMSSZ.dump, checked with pg_restore --list.
#   Each backup gets a sha256sum-compatible .sha256 beside it. Files appear under their final name only when
#   complete and verified (temp name, then rename); a failed run leaves nothing behind.
#
# Environment: DATABASE_URL, BACKUP_DIR (./backups), BACKUP_RETENTION_DAYS (30; 0 keeps everything),
#   BACKUP_COMPRESS (0|1, SQLite only), BACKUP_VERIFY (full|quick, SQLite only), BACKUP_PG_COMPRESS (0-9, pg_dump's
#   gzip level, default 1), BACKUP_PG_BINDIR.
# Output: one JSON line on stdout, {"ok":true,"file",…} on success, {"ok":false,"exitCode","message"} on failure;
#   progress (percent, MB/s; on a terminal) and errors on stderr.
# Exit codes: 0 ok; 1 missing database or bad configuration; 2 backup failed; 3 verification failed.
set -euo pipefail
TOOL_NAME=backup
FAILURE_JSON=1
# shellcheck source=backup-lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-lib/common.sh"

started_ms=$(now_ms)
resolve_database

BACKUP_DIR=${BACKUP_DIR:-./backups}
RETENTION_DAYS=${BACKUP_RETENTION_DAYS:-30}
COMPRESS=${BACKUP_COMPRESS:-0}
[[ $RETENTION_DAYS =~ ^[0-9]+$ ]] || die 1 "BACKUP_RETENTION_DAYS must be a whole number of days (0 keeps everything), got \"$RETENTION_DAYS\""
RETENTION_DAYS=$((10#$RETENTION_DAYS))
[[ $COMPRESS == 0 || $COMPRESS == 1 ]] || die 1 "BACKUP_COMPRESS must be 0 or 1, got \"$COMPRESS\""
VERIFY=${BACKUP_VERIFY:-full}
[[ $VERIFY == full || $VERIFY == quick ]] || die 1 "BACKUP_VERIFY must be full (PRAGMA integrity_check) or quick (PRAGMA quick_check), got \"$VERIFY\""
if [[ $VERIFY == full ]]; then sqlite_check=integrity_check; else sqlite_check=quick_check; fi
# Level 1, not pg_dump's 6: measured 2.5x faster for a 4 % larger dump (docs/PERFORMANCE.md, PostgreSQL backups).
PG_COMPRESS=${BACKUP_PG_COMPRESS:-1}
[[ $PG_COMPRESS =~ ^[0-9]$ ]] || die 1 "BACKUP_PG_COMPRESS must be a gzip level from 0 (none) to 9, got \"$PG_COMPRESS\""

if [[ $DIALECT == sqlite ]]; then
  [[ -f $SQLITE_FILE ]] || die 1 "database not found: $SQLITE_FILE (from DATABASE_URL=${DATABASE_URL:-<unset>}); nothing to back up"
else
  PG_DUMP=$(find_pg_tool pg_dump)
  PG_RESTORE=$(find_pg_tool pg_restore)
fi

mkdir -p -- "$BACKUP_DIR" 2>/dev/null || die 1 "BACKUP_DIR=$BACKUP_DIR cannot be created"
[[ -d $BACKUP_DIR ]] || die 1 "BACKUP_DIR=$BACKUP_DIR is not a directory"
BACKUP_DIR=$(cd -- "$BACKUP_DIR" && pwd)

stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [[ $DIALECT == sqlite ]]; then
  name="drop-$stamp.db"
  [[ $COMPRESS == 1 ]] && name="$name.gz"
else
  name="drop-$stamp.dump"
fi
final="$BACKUP_DIR/$name"
[[ ! -e $final ]] || die 2 "$final already exists (two backups within the same second?)"

# Temp files start with a dot and never match the backup pattern; whatever remains of them is removed on exit.
work="$BACKUP_DIR/.$name.partial-$$"
temp_files=("$work" "$work.db" "$work.db-journal" "$work.db-wal" "$work.db-shm" "$work.gz" "$work.sha256")
checksum_pid=
cleanup() {
  [[ -z $checksum_pid ]] || kill "$checksum_pid" 2>/dev/null || true
  rm -f -- "${temp_files[@]}"
}
trap cleanup EXIT
trap 'die 2 interrupted' INT TERM HUP

# Milliseconds spent in each phase, reported in the summary. SQLite: flush, checksum and verify run at the same
# time after the copy; PostgreSQL: the checksum runs with pg_restore --list. Phases can add up to more than
# durationMs.
phases=()
phase_started=$(now_ms)
phase_done() {
  local now
  now=$(now_ms)
  phases+=("\"$1\":$((now - phase_started))")
  phase_started=$now
}

# start_checksum FILE, then finish_checksum: hashes FILE in the background (it must not change meanwhile), sets sha
# and records the hashing's own duration as the checksum phase.
start_checksum() {
  node "$BACKUP_LIB_DIR/sha256.mjs" "$1" --elapsed >"$work.sha256" &
  checksum_pid=$!
}
finish_checksum() {
  local pid=$checksum_pid elapsed_ms
  checksum_pid=
  wait "$pid" || die 2 "cannot checksum the backup"
  read -r sha elapsed_ms <"$work.sha256" || die 2 "cannot read the checksum of the backup"
  phases+=("\"checksum\":$elapsed_ms")
  phase_started=$(now_ms)
}

integrity=
if [[ $DIALECT == sqlite ]]; then
  log "backing up $SQLITE_FILE (then PRAGMA $sqlite_check)"
  # Uncompressed, the copy's checksum is taken by sqlite-backup.mjs while it flushes and checks the copy.
  copy_args=("$SQLITE_FILE" "$work.db" --verify "$VERIFY")
  [[ $COMPRESS == 1 ]] || copy_args+=(--checksum)
  need_space 2 "$BACKUP_DIR" "$(stat -c %s -- "$SQLITE_FILE")" "the backup was not started"
  code=0
  result=$(node "$BACKUP_LIB_DIR/sqlite-backup.mjs" "${copy_args[@]}") || code=$?
  case $code in
    0) ;;
    3)
      # A check that fails because the disk filled up says nothing about the copy: no space, not "corrupt".
      disk_full "$BACKUP_DIR" && die 2 "$(no_space "$BACKUP_DIR" "$(stat -c %s -- "$SQLITE_FILE")"): no backup written"
      fail_json 3 "the copy failed PRAGMA $sqlite_check: $result" # sqlite-backup.mjs has said so on stderr
      ;;
    *)
      disk_full "$BACKUP_DIR" && die 2 "$(no_space "$BACKUP_DIR" "$(stat -c %s -- "$SQLITE_FILE")"): no backup written"
      die 2 "SQLite backup of $SQLITE_FILE into $BACKUP_DIR failed"
      ;;
  esac
  # Its phases (copy; then flush, checksum and verify at the same time) join this script's own.
  [[ $result =~ \"phasesMs\":\{([^}]*)\} ]] && phases+=("${BASH_REMATCH[1]}")
  phase_started=$(now_ms)
  integrity=ok
  payload="$work.db"
  if [[ $COMPRESS == 1 ]]; then
    log 'compressing'
    if ! gzip -c -- "$work.db" >"$work.gz"; then
      disk_full "$BACKUP_DIR" && die 2 "$(no_space "$BACKUP_DIR" "$(stat -c %s -- "$work.db")"): no backup written"
      die 2 "gzip into $BACKUP_DIR failed"
    fi
    gzip -t -- "$work.gz" || die 3 'the compressed copy does not pass gzip -t'
    phase_done compress
    rm -f -- "$work.db"
    payload="$work.gz"
    start_checksum "$payload"
    finish_checksum
  else
    [[ $result =~ \"sha256\":\"([0-9a-f]{64})\" ]] || die 2 "no checksum from sqlite-backup.mjs: $result"
    sha=${BASH_REMATCH[1]}
  fi
else
  log "dumping $(pg_url_database "$PG_URL") with $PG_DUMP"
  "$PG_DUMP" --format=custom --compress="$PG_COMPRESS" --file="$work" --dbname="$PG_URL" &
  if ! watch_progress dump "$work" $!; then
    disk_full "$BACKUP_DIR" && die 2 "$(no_space "$BACKUP_DIR" "more than $(stat -c %s -- "$work" 2>/dev/null || echo 0)"): no backup written"
    die 2 "pg_dump failed"
  fi
  phase_done copy
  payload=$work
  start_checksum "$payload"
  "$PG_RESTORE" --list -- "$work" >/dev/null || die 3 "the dump does not pass pg_restore --list"
  phase_done verify
  integrity=ok
  finish_checksum
fi

[[ $payload == "$work" ]] || mv -- "$payload" "$work"
if ! printf '%s  %s\n' "$sha" "$name" >"$work.sha256"; then
  disk_full "$BACKUP_DIR" && die 2 "$(no_space "$BACKUP_DIR" 100): no backup written"
  die 2 "cannot write $final.sha256"
fi
if ! sync -- "$work" "$work.sha256"; then
  disk_full "$BACKUP_DIR" && die 2 "$(no_space "$BACKUP_DIR" "$(stat -c %s -- "$work")"): no backup written"
  die 2 "cannot flush $work to disk"
fi
# The checksum first: a backup visible under its final name always has its .sha256.
mv -- "$work.sha256" "$final.sha256" || die 2 "cannot write $final.sha256"
if ! mv -T --no-clobber -- "$work" "$final" || [[ -e $work ]]; then
  rm -f -- "$final.sha256"
  die 2 "cannot rename the backup to $final (did another backup take that name?)"
fi
sync -- "$BACKUP_DIR" || true
bytes=$(stat -c %s -- "$final")

# Retention runs only after a good backup, so a failing schedule never eats the backups it still has.
deleted=0
if ((RETENTION_DAYS > 0)); then
  while IFS= read -r -d '' old; do
    rm -f -- "$old" "$old.sha256"
    log "retention: deleted $(basename -- "$old") (older than $RETENTION_DAYS days)"
    deleted=$((deleted + 1))
  done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -regextype posix-extended \
    -regex ".*/$BACKUP_NAME_REGEX" -mmin "+$((RETENTION_DAYS * 1440))" -print0)
  # Checksums whose backup is gone (deleted by hand, or by an older run interrupted half-way).
  while IFS= read -r -d '' orphan; do
    [[ -e ${orphan%.sha256} ]] || rm -f -- "$orphan"
  done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -regextype posix-extended \
    -regex ".*/$BACKUP_NAME_REGEX\.sha256" -mmin "+$((RETENTION_DAYS * 1440))" -print0)
fi

if [[ $DIALECT == sqlite ]]; then check=$sqlite_check; else check='pg_restore --list'; fi
phase_done retention
printf '{"ok":true,"file":%s,"bytes":%s,"durationMs":%s,"integrity":%s,"check":"%s","verify":%s,"dialect":"%s","sha256":"%s","compressed":%s,"retentionDeleted":%s,"phasesMs":{%s}}\n' \
  "$(json_string "$final")" "$bytes" "$(($(now_ms) - started_ms))" "$(json_string "$integrity")" "$check" "$([[ $DIALECT == sqlite ]] && echo "\"$VERIFY\"" || echo null)" "$DIALECT" "$sha" \
  "$([[ $COMPRESS == 1 && $DIALECT == sqlite ]] && echo true || echo false)" "$deleted" "$(IFS=,; echo "${phases[*]}")"
