#!/usr/bin/env bash
# One backup run: every database of the PostgreSQL server, each as a custom-format dump (pg_dump -Fc), into
#   $BACKUP_DIR/<UTC timestamp, e.g. 20250131T020000Z>/<database>.dump  (+ SHA256SUMS, MANIFEST)
# then applies the retention rules. A run that fails leaves no half-made backup behind (it is written to
# a hidden .partial directory and renamed at the end) and exits non-zero.
#
# Environment (defaults in brackets):
#   PGHOST, PGPORT, PGUSER, PGPASSWORD  a superuser of the server (libpq's standard variables)
#   BACKUP_DIR [/backups]               where backups go
#   BACKUP_DATABASES                    space- or comma-separated names; default: every database that
#                                       accepts connections except templates and `postgres`
#   BACKUP_RETENTION_DAYS [7]           delete backups older than this many days (0: keep regardless of age)
#   BACKUP_RETENTION_COUNT [0]          keep at most this many backups (0: no limit)
# The newest backup is never deleted by retention. Only directories named like a backup are touched.
set -euo pipefail

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() {
  log "ERROR: $*"
  exit 1
}
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_RETENTION_DAYS="${BACKUP_RETENTION_DAYS:-7}"
BACKUP_RETENTION_COUNT="${BACKUP_RETENTION_COUNT:-0}"
is_uint "$BACKUP_RETENTION_DAYS" || fail "BACKUP_RETENTION_DAYS must be a whole number of days (got '$BACKUP_RETENTION_DAYS')"
is_uint "$BACKUP_RETENTION_COUNT" || fail "BACKUP_RETENTION_COUNT must be a whole number (got '$BACKUP_RETENTION_COUNT')"
BACKUP_NAME_RE='^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$'
export PGDATABASE="${PGDATABASE:-postgres}" PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"

mkdir -p "$BACKUP_DIR"
[ -w "$BACKUP_DIR" ] || fail "BACKUP_DIR '$BACKUP_DIR' is not writable for $(id -un)"

# --- which databases -----------------------------------------------------------------------------------
if [ -n "${BACKUP_DATABASES:-}" ]; then
  read -r -a databases <<<"${BACKUP_DATABASES//,/ }"
else
  mapfile -t databases < <(psql -X -A -t -v ON_ERROR_STOP=1 -c \
    "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY datname") ||
    fail "cannot list the databases on ${PGHOST:-local socket}:${PGPORT:-5432} as ${PGUSER:-$(id -un)}"
fi
[ "${#databases[@]}" -gt 0 ] || fail "no database to back up"
for db in "${databases[@]}"; do
  [[ "$db" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || fail "database name '$db' is not supported by this script"
done

# --- dump ----------------------------------------------------------------------------------------------
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="$stamp"
n=1
while [ -e "$BACKUP_DIR/$name" ]; do
  name="$stamp-$n"
  n=$((n + 1))
done
work="$BACKUP_DIR/.$name.partial"
trap 'rm -rf "$work"' EXIT
mkdir -m 0750 "$work"

log "backing up ${databases[*]} to $BACKUP_DIR/$name"
server_version="$(psql -X -A -t -c 'SHOW server_version')"
{
  echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "server: ${PGHOST:-local socket}:${PGPORT:-5432} PostgreSQL $server_version"
  echo "pg_dump: $(pg_dump --version)"
  echo "restore: restore.sh $BACKUP_DIR/$name"
} >"$work/MANIFEST"
for db in "${databases[@]}"; do
  pg_dump --format=custom --no-password --dbname="$db" --file="$work/$db.dump" || fail "pg_dump of '$db' failed"
  pg_restore --list "$work/$db.dump" >/dev/null || fail "the dump of '$db' cannot be read back"
  echo "database: $db $(stat -c %s "$work/$db.dump") bytes" >>"$work/MANIFEST"
done
(cd "$work" && sha256sum -- *.dump >SHA256SUMS)
mv "$work" "$BACKUP_DIR/$name"
trap - EXIT
log "backup $BACKUP_DIR/$name complete"

# --- retention -----------------------------------------------------------------------------------------
# Backups, newest first (by modification time).
mapfile -t backups < <(
  find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %f\n' | sort -rn | cut -d' ' -f2- |
    grep -E "$BACKUP_NAME_RE" || true
)
now="$(date +%s)"
max_age=$((BACKUP_RETENTION_DAYS * 86400))
index=0
for b in "${backups[@]}"; do
  index=$((index + 1))
  [ "$index" -gt 1 ] || continue # the newest stays
  reason=""
  if [ "$BACKUP_RETENTION_COUNT" -gt 0 ] && [ "$index" -gt "$BACKUP_RETENTION_COUNT" ]; then
    reason="more than BACKUP_RETENTION_COUNT=$BACKUP_RETENTION_COUNT backups"
  elif [ "$BACKUP_RETENTION_DAYS" -gt 0 ] && [ $((now - $(stat -c %Y "$BACKUP_DIR/$b"))) -gt "$max_age" ]; then
    reason="older than BACKUP_RETENTION_DAYS=$BACKUP_RETENTION_DAYS days"
  fi
  if [ -n "$reason" ]; then
    log "deleting $BACKUP_DIR/$b ($reason)"
    rm -rf -- "${BACKUP_DIR:?}/$b"
  fi
done
# Leftovers of runs that died (the trap did not run), older than a day.
find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '.*.partial' -mmin +1440 -exec rm -rf -- {} + 2>/dev/null || true
