#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into the database DATABASE_URL names. See docs/DEPLOYMENT.md.
#
#   restore.sh [--force] FILE
#   restore.sh --drill FILE      a restore drill into a scratch database, the live one untouched: restore-drill.sh
#
# 1. Verifies first, touching nothing: FILE's .sha256 must exist and match; SQLite: PRAGMA integrity_check on the
#    copy about to be installed; PostgreSQL: pg_restore --list.
# 2. Refuses a target in use unless --force:
#      SQLite: a -wal, -shm or -journal file beside the database, or a write lock that cannot be taken at once.
#      PostgreSQL: any other connection to the target database.
#    --force: SQLite sets those files aside with the old database; PostgreSQL blocks new connections to the target
#    and terminates the existing ones.
# 3. Installs atomically and keeps what it replaces:
#      SQLite: the verified copy is written beside the target and renamed over it; the old database (and its
#        -wal/-shm) stay as <db>.pre-restore-<stamp>.
#      PostgreSQL: pg_restore into a fresh database <db>_restore_<stamp>, then in one transaction the target is
#        renamed to <db>_pre_restore_<stamp> and the fresh one to <db>.
# Output: what it did on stderr, one JSON line on stdout: {"ok":true,"restored",…} or, on failure,
#   {"ok":false,"exitCode","message"}.
# Exit codes: 0 restored; 1 bad usage or configuration (no such file, wrong kind of backup for DATABASE_URL);
#   2 restore failed (the target is unchanged), "no space left …" when the disk is full; 3 verification failed
#   (nothing touched); 4 target in use (no --force).
set -euo pipefail
TOOL_NAME=restore
FAILURE_JSON=1
# shellcheck source=backup-lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-lib/common.sh"

usage() { die 1 'usage: scripts/restore.sh [--force] FILE | --drill FILE   (FILE: a drop-….db, .db.gz or .dump made by scripts/backup.sh)'; }

if [[ ${1:-} == --drill ]]; then
  shift
  exec bash "$(dirname "${BASH_SOURCE[0]}")/restore-drill.sh" "$@"
fi

force=0
file=
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help) usage ;;
    -*) die 1 "unknown option $arg" ;;
    *) [[ -z $file ]] || usage; file=$arg ;;
  esac
done
[[ -n $file ]] || usage
[[ -f $file ]] || die 1 "no such backup file: $file"
file=$(cd -- "$(dirname -- "$file")" && pwd)/$(basename -- "$file")

started_ms=$(now_ms)
resolve_database
stamp=$(date -u +%Y%m%dT%H%M%SZ)

case $file in
  *.db | *.db.gz) [[ $DIALECT == sqlite ]] || die 1 "$file is a SQLite backup but DATABASE_URL points at PostgreSQL" ;;
  *.dump) [[ $DIALECT == postgres ]] || die 1 "$file is a PostgreSQL dump but DATABASE_URL points at SQLite" ;;
  *) die 1 "$file is not a backup made by scripts/backup.sh (.db, .db.gz or .dump)" ;;
esac

[[ -f $file.sha256 ]] || die 3 "$file.sha256 is missing: cannot verify the backup, refusing to restore it"
expected_sha=$(cut -d' ' -f1 <"$file.sha256")
[[ $expected_sha =~ ^[0-9a-f]{64}$ ]] || die 3 "$file.sha256 holds no SHA-256"

# verify_checksum PATH: PATH (FILE itself, or the copy made of it) must hash to FILE's .sha256.
verify_checksum() {
  local actual
  actual=$(sha256_of "$1") || die 2 "cannot read $1"
  [[ $actual == "$expected_sha" ]] || die 3 "checksum mismatch for $file: expected $expected_sha, got $actual; the backup is damaged, refusing to restore it"
}

json_summary() { # previous
  printf '{"ok":true,"restored":%s,"target":%s,"previous":%s,"dialect":"%s","durationMs":%s}\n' \
    "$(json_string "$file")" "$(json_string "$1")" "$2" "$DIALECT" "$(($(now_ms) - started_ms))"
}

restore_sqlite() {
  local target=$SQLITE_FILE dir
  dir=$(dirname -- "$target")
  mkdir -p -- "$dir" 2>/dev/null || die 1 "cannot create $dir for $target"
  temp="$dir/.$(basename -- "$target").restore-$$" # global: the EXIT trap removes it
  trap 'rm -f -- "$temp" "$temp-journal"' EXIT
  trap 'die 2 interrupted; the target is unchanged' INT TERM HUP

  # The checksum is taken on the very bytes that will be installed (or, compressed, on the file gzip then checks).
  local untouched="the target $target is untouched"
  if [[ $file == *.gz ]]; then
    verify_checksum "$file"
    local needed
    needed=$(gzip -l -- "$file" | awk 'NR == 2 { print $2 }') || die 3 "$file is not a gzip file"
    need_space 2 "$dir" "$needed" "$untouched"
    if ! gzip -dc -- "$file" >"$temp"; then
      disk_full "$dir" && die 2 "$(no_space "$dir" "$needed"): $untouched"
      gzip -t -- "$file" 2>/dev/null && die 2 "cannot write the decompressed copy into $dir: $untouched"
      die 3 "$file does not decompress"
    fi
  else
    need_space 2 "$dir" "$(stat -c %s -- "$file")" "$untouched"
    # One pass with progress: the checksum is taken on the bytes written into $temp, every write checked.
    local actual code=0
    actual=$(node "$BACKUP_LIB_DIR/sha256.mjs" "$file" --copy-to "$temp") || code=$?
    if ((code == NO_SPACE_EXIT)) || { ((code != 0)) && disk_full "$dir"; }; then
      die 2 "$(no_space "$dir" "$(stat -c %s -- "$file")"): $untouched"
    fi
    ((code == 0)) || die 2 "cannot copy $file to $dir: $untouched"
    [[ $actual == "$expected_sha" ]] || die 3 "checksum mismatch for $file: expected $expected_sha, got $actual; the backup is damaged, refusing to restore it"
  fi
  local integrity
  integrity=$(BACKUP_VERIFY=full with_elapsed 'PRAGMA integrity_check' node "$BACKUP_LIB_DIR/sqlite-verify-copy.mjs" "$temp") || die 3 "$file fails PRAGMA integrity_check ($integrity); refusing to restore it"
  log "verified $file: checksum matches, integrity_check $integrity"

  local reason code=0
  reason=$(node "$BACKUP_LIB_DIR/sqlite-in-use.mjs" "$target") || code=$?
  if ((code != 0)); then
    ((force == 1)) || die 4 "$target is in use ($reason). Stop the app first; if it is stopped and files were left by a crash, rerun with --force (they are kept beside the old database)"
    log "--force: $target is in use ($reason); setting it aside"
  fi

  local previous=null pre="$target.pre-restore-$stamp" suffix
  if [[ -e $target ]]; then
    # A hard link keeps the old database under its new name while $target itself never disappears.
    ln -- "$target" "$pre" 2>/dev/null || cp -p -- "$target" "$pre" || die 2 "cannot keep the current database as $pre"
    for suffix in -wal -shm -journal; do
      if [[ -e $target$suffix ]]; then
        mv -- "$target$suffix" "$pre$suffix" || die 2 "cannot move $target$suffix aside"
      fi
    done
    previous=$(json_string "$pre")
  fi
  sync -- "$temp" || die 2 "cannot flush $temp to disk"
  mv -T -- "$temp" "$target" || die 2 "cannot rename $temp to $target"
  sync -- "$dir" || true
  if [[ $previous == null ]]; then
    log "restored $file into $target (there was no database before)"
  else
    log "restored $file into $target; the database it replaced is kept as $pre"
  fi
  json_summary "$target" "$previous"
}

restore_postgres() {
  local pg_restore psql target admin_url fresh old
  pg_restore=$(find_pg_tool pg_restore)
  psql=$(find_pg_tool psql)
  verify_checksum "$file"
  "$pg_restore" --list -- "$file" >/dev/null || die 3 "$file does not pass pg_restore --list; refusing to restore it"
  log "verified $file: checksum matches, pg_restore --list reads it"

  target=$(pg_url_database "$PG_URL") || die 1 'cannot read the database name from DATABASE_URL'
  admin_url=$(pg_url_with_database "$PG_URL" postgres)
  local lower_stamp=${stamp,,}
  fresh="${target:0:$((63 - 25))}_restore_$lower_stamp"
  old="${target:0:$((63 - 29))}_pre_restore_$lower_stamp"

  # admin SQL…: runs SQL on the maintenance database with :target, :fresh and :old bound (psql quotes them).
  admin() {
    "$psql" --no-psqlrc --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 \
      --set=target="$target" --set=fresh="$fresh" --set=old="$old" --dbname="$admin_url" <<<"$1"
  }
  local exists others
  exists=$(admin "SELECT count(*) FROM pg_database WHERE datname = :'target';") || die 2 "cannot connect to the server's postgres database"
  other_connections() { admin "SELECT count(*) FROM pg_stat_activity WHERE datname = :'target' AND pid <> pg_backend_pid();"; }
  if ((exists == 1)); then
    others=$(other_connections) || die 2 'cannot list connections'
    if ((others > 0 && force == 0)); then
      die 4 "database $target is in use ($others other connections). Stop the app first, or rerun with --force to disconnect them"
    fi
  fi

  trap 'admin "DROP DATABASE IF EXISTS :\"fresh\";" >/dev/null 2>&1 || true' EXIT
  trap 'die 2 interrupted; the target is unchanged' INT TERM HUP
  admin 'CREATE DATABASE :"fresh" TEMPLATE template0;' || die 2 "cannot create database $fresh (the role needs CREATEDB)"
  log "restoring into the fresh database $fresh"
  with_elapsed pg_restore "$pg_restore" --no-owner --exit-on-error --single-transaction --dbname="$(pg_url_with_database "$PG_URL" "$fresh")" -- "$file" ||
    die 2 "pg_restore into $fresh failed; $target is unchanged"

  local previous=null
  if ((exists == 0)); then
    admin 'ALTER DATABASE :"fresh" RENAME TO :"target";' || die 2 "cannot rename $fresh to $target"
    log "restored $file into the new database $target"
  else
    if ((force == 1)); then
      admin 'ALTER DATABASE :"target" WITH ALLOW_CONNECTIONS false;' || die 2 "cannot block new connections to $target"
      # pg_terminate_backend in the select list, never in WHERE: there the planner may call it before the filter.
      local tries=0
      while others=$(other_connections) && ((others > 0 && tries < 50)); do
        admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'target' AND pid <> pg_backend_pid();" >/dev/null || true
        sleep 0.2
        tries=$((tries + 1))
      done
      log "--force: disconnected the other sessions of $target"
    fi
    if ! admin 'BEGIN; ALTER DATABASE :"target" RENAME TO :"old"; ALTER DATABASE :"fresh" RENAME TO :"target"; COMMIT;'; then
      ((force == 0)) || admin 'ALTER DATABASE :"target" WITH ALLOW_CONNECTIONS true;' || true
      if others=$(other_connections) && ((others > 0)); then
        die 4 "database $target is in use ($others other connections appeared); it is unchanged"
      fi
      die 2 "cannot swap $fresh for $target; $target is unchanged"
    fi
    ((force == 0)) || admin 'ALTER DATABASE :"old" WITH ALLOW_CONNECTIONS true;' || true
    previous=$(json_string "$old")
    log "restored $file into $target; the database it replaced is kept as $old"
  fi
  trap - EXIT
  json_summary "$target" "$previous"
}

if [[ $DIALECT == sqlite ]]; then restore_sqlite; else restore_postgres; fi
