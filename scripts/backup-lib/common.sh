# Shared by scripts/backup.sh and scripts/restore.sh (sourced, never run). Bash, set -euo pipefail by the caller.
# Reads DATABASE_URL exactly as the app does (src/server/db/database-url.ts):
#   unset → SQLite at ./data/drop.db; file:<path> → SQLite; postgres:// or postgresql:// → PostgreSQL.

BACKUP_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export TOOL_NAME # the .mjs helpers prefix their progress with it

# The names this tooling writes, and the only ones retention may ever delete.
BACKUP_NAME_REGEX='drop-[0-9]{8}T[0-9]{6}Z\.(db|db\.gz|dump)'

log() { printf '[%s] %s\n' "$TOOL_NAME" "$*" >&2; }

# With FAILURE_JSON=1 (backup.sh, restore.sh, the drill), a failure prints {"ok":false,"exitCode","message"} on
# stdout: the script's stdout as it was when this file was sourced, so also from inside $(…).
exec {SUMMARY_FD}>&1

# fail_json EXIT_CODE MESSAGE…: the failure's JSON line (when FAILURE_JSON=1), then exit, without logging the
# message again (for a message a helper has already written on stderr).
fail_json() {
  local code=$1
  shift
  if [[ ${FAILURE_JSON:-0} == 1 ]]; then
    printf '{"ok":false,"exitCode":%s,"message":%s}\n' "$code" "$(json_string "$*")" >&"$SUMMARY_FD"
  fi
  exit "$code"
}

# die EXIT_CODE MESSAGE…
die() {
  printf '[%s] error: %s\n' "$TOOL_NAME" "${*:2}" >&2
  fail_json "$@"
}

now_ms() { date +%s%3N; }

# watch_progress LABEL FILE PID: waits for PID (a background job writing FILE) and returns its exit status. On a
# terminal, meanwhile, shows how much of FILE is written and at what rate (the total is unknown beforehand).
watch_progress() {
  local label=$1 file=$2 pid=$3 started bytes elapsed
  if [[ -t 2 ]]; then
    started=$(now_ms)
    while kill -0 "$pid" 2>/dev/null; do
      bytes=$(stat -c %s -- "$file" 2>/dev/null || echo 0)
      elapsed=$(($(now_ms) - started + 1))
      printf '\r\033[K[%s] %s %s MB, %s MB/s' "$TOOL_NAME" "$label" $((bytes / 1048576)) $((bytes * 1000 / elapsed / 1048576)) >&2
      sleep 0.25
    done
    printf '\n' >&2
  fi
  wait "$pid"
}

# with_elapsed LABEL COMMAND…: runs COMMAND (its stdout goes where the caller's does) and returns its status. On a
# terminal, meanwhile, shows the seconds elapsed: for work whose length is unknown (an integrity check, pg_restore).
with_elapsed() {
  local label=$1 pid started
  shift
  if [[ ! -t 2 ]]; then
    "$@"
    return
  fi
  "$@" &
  pid=$!
  started=$(now_ms)
  while kill -0 "$pid" 2>/dev/null; do
    printf '\r\033[K[%s] %s %s s' "$TOOL_NAME" "$label" $((($(now_ms) - started) / 1000)) >&2
    sleep 0.25
  done
  printf '\n' >&2
  wait "$pid"
}

# A JSON string literal for $1 (quotes, backslashes and control characters escaped).
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

# Sets DIALECT (sqlite|postgres) and SQLITE_FILE (absolute) or PG_URL. Exit 1 on a value the app would refuse too.
resolve_database() {
  local url="${DATABASE_URL:-}"
  url="${url#"${url%%[![:space:]]*}"}"
  url="${url%"${url##*[![:space:]]}"}"
  if [[ -z $url ]]; then
    DIALECT=sqlite
    SQLITE_FILE="$PWD/data/drop.db"
  elif [[ $url == file:* ]]; then
    local file=${url#file:}
    [[ $file == //\/* ]] && file=${file#//}
    [[ -n $file ]] || die 1 'DATABASE_URL "file:" needs a path, e.g. file:./data/drop.db'
    [[ $file != ':memory:' ]] || die 1 'DATABASE_URL is file::memory:, an in-memory database has nothing to back up or restore'
    [[ $file == /* ]] || file="$PWD/$file"
    DIALECT=sqlite
    SQLITE_FILE=$file
  elif [[ $url =~ ^postgres(ql)?:// ]]; then
    DIALECT=postgres
    PG_URL=$url
  else
    die 1 'DATABASE_URL must be unset (SQLite at ./data/drop.db), file:<path> (SQLite) or postgres://… (PostgreSQL)'
  fi
}

# The path of a PostgreSQL client tool: BACKUP_PG_BINDIR if set, else PATH, else the newest /usr/lib/postgresql/*/bin.
# pg_dump refuses a server newer than itself, so the installed server's own binaries are the safe fallback.
find_pg_tool() {
  local name=$1 dir
  if [[ -n ${BACKUP_PG_BINDIR:-} ]]; then
    [[ -x $BACKUP_PG_BINDIR/$name ]] || die 1 "BACKUP_PG_BINDIR=$BACKUP_PG_BINDIR has no executable $name"
    printf '%s\n' "$BACKUP_PG_BINDIR/$name"
    return
  fi
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x $dir/$name ]]; then
      printf '%s\n' "$dir/$name"
      return
    fi
  done
  die 1 "$name not found (PATH, /usr/lib/postgresql/*/bin): install the PostgreSQL client matching the server (Debian: postgresql-client), or set BACKUP_PG_BINDIR"
}

sha256_of() { node "$BACKUP_LIB_DIR/sha256.mjs" "$1"; }

# pg-url.mjs wrappers: the database name in a URL, and the same URL pointing at another database.
pg_url_database() { node "$BACKUP_LIB_DIR/pg-url.mjs" database "$1"; }
pg_url_with_database() { node "$BACKUP_LIB_DIR/pg-url.mjs" with-database "$1" "$2"; }

# ops_command NAME SOURCE ARGS…: an operator command as bundled by `npm run ops:build` into scripts/dist/NAME.mjs (or
# the build DROP_OPS_DIR names) where it exists, as in the image; otherwise SOURCE (a .ts file under scripts/)
# through tsx, in a checkout without a build.
ops_command() {
  local name=$1 source=$2 dist=${DROP_OPS_DIR:-$BACKUP_LIB_DIR/../dist}
  shift 2
  if [[ -f $dist/$name.mjs ]]; then
    node "$dist/$name.mjs" "$@"
  else
    node "$BACKUP_LIB_DIR/../../node_modules/tsx/dist/cli.mjs" "$BACKUP_LIB_DIR/../$source" "$@"
  fi
}

# A full disk is exit 2 with the words "no space", never a verdict on the backup ("corrupt", "malformed"), and the
# target untouched. sha256.mjs --copy-to exits NO_SPACE_EXIT when its write finds the disk full.
NO_SPACE_EXIT=4
# free_bytes DIR: the bytes available on DIR's filesystem (empty when df cannot tell).
free_bytes() { df -P -B1 -- "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }
# no_space DIR NEEDED: the sentence for a full disk.
no_space() { printf 'no space left on the filesystem of %s (%s bytes needed, %s free)' "$1" "$2" "$(free_bytes "$1")"; }
# need_space EXIT_CODE DIR NEEDED WHAT: dies with EXIT_CODE when DIR's filesystem has less than NEEDED bytes free.
need_space() {
  local free
  free=$(free_bytes "$2")
  [[ -z $free || $3 -le $free ]] || die "$1" "$(no_space "$2" "$3"): $4"
}
# disk_full DIR: after a failed write into DIR, whether the filesystem is (nearly) full: then that is the reason.
disk_full() {
  local free
  free=$(free_bytes "$1")
  [[ -n $free ]] && ((free < 1048576))
}
