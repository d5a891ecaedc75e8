#!/usr/bin/env bash
# Restores databases from a backup made by backup.sh:
#   restore.sh <backup directory | one .dump file> [database ...]
# With a directory, every <database>.dump in it is restored (or only the databases named after it).
# Each database is dropped (connections are closed: stop the services that use it first) and recreated
# from the dump with pg_restore --create: its schema, data, owner and privileges come back as they were
# at backup time. For the MLflow auth database that means every MLflow user with their password hash,
# admin flag and permissions.
#
# The database's owner role must exist. On a fresh PostgreSQL volume the database container's init script
# has created the roles; otherwise create them first with the same script:
#   docker compose ... exec database /docker-entrypoint-initdb.d/10-create-databases.sh
#
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD of a superuser (libpq's standard variables).
set -euo pipefail

log() { printf '%s restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() {
  log "ERROR: $*"
  exit 1
}

[ $# -ge 1 ] || fail "usage: restore.sh <backup directory | dump file> [database ...]"
target="$1"
shift
export PGDATABASE=postgres PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"

dumps=()
if [ -d "$target" ]; then
  if [ -f "$target/SHA256SUMS" ]; then
    (cd "$target" && sha256sum --check --quiet SHA256SUMS) || fail "checksums in $target/SHA256SUMS do not match: the backup is damaged"
  fi
  if [ $# -gt 0 ]; then
    for db in "$@"; do
      [ -f "$target/$db.dump" ] || fail "$target has no dump of database '$db'"
      dumps+=("$target/$db.dump")
    done
  else
    shopt -s nullglob
    dumps=("$target"/*.dump)
    shopt -u nullglob
  fi
elif [ -f "$target" ]; then
  dumps=("$target")
else
  fail "'$target' is neither a backup directory nor a dump file"
fi
[ "${#dumps[@]}" -gt 0 ] || fail "no .dump file in '$target'"

# Check every dump before touching anything.
declare -A db_of owner_of
for dump in "${dumps[@]}"; do
  toc="$(pg_restore --list --create "$dump")" || fail "'$dump' is not a readable pg_dump custom-format archive"
  line="$(grep -E '^[0-9]+; [0-9]+ [0-9]+ DATABASE - ' <<<"$toc" | head -n 1)" || true
  [ -n "$line" ] || fail "'$dump' does not contain its database's definition"
  read -r -a fields <<<"$line"
  db_of[$dump]="${fields[5]}"
  owner_of[$dump]="${fields[6]}"
  role_exists="$(psql -X -A -t -v ON_ERROR_STOP=1 -v role="${fields[6]}" <<<"SELECT count(*) FROM pg_roles WHERE rolname = :'role'")" ||
    fail "cannot connect to PostgreSQL at ${PGHOST:-local socket}:${PGPORT:-5432}"
  [ "$role_exists" = "1" ] || fail "role '${fields[6]}', owner of database '${fields[5]}', does not exist; create the roles first (10-create-databases.sh)"
done

for dump in "${dumps[@]}"; do
  db="${db_of[$dump]}"
  log "restoring database '$db' (owner '${owner_of[$dump]}') from $dump"
  psql -X -q -v ON_ERROR_STOP=1 -v db="$db" <<<'DROP DATABASE IF EXISTS :"db" WITH (FORCE)'
  pg_restore --create --exit-on-error --no-password --dbname=postgres "$dump" || fail "pg_restore of '$db' failed"
done
log "restored ${#dumps[@]} database(s); restart the services that use them"
