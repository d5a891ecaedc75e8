#!/bin/sh
# Starts the MLflow tracking server with basic-auth against PostgreSQL.
#
# 1. validates its environment (a missing or bad variable fails with the variable's name);
# 2. builds the database URIs from parts (passwords are URL-encoded) unless full URIs are given;
# 3. waits (bounded) until both databases accept connections;
# 4. writes the basic-auth configuration to a private file and points MLFLOW_AUTH_CONFIG_PATH at it;
# 5. migrates the auth database and makes the admin user match MLFLOW_USERNAME / MLFLOW_PASSWORD, the
#    credentials the signup service uses (MLflow itself reads admin_password only when it first creates
#    the admin, so a changed MLFLOW_PASSWORD would otherwise lock the signup service out);
# 6. `mlflow db upgrade` on the tracking database;
# 7. execs `mlflow server --app-name basic-auth …`; extra arguments to this script are appended.
#
# Environment (defaults in brackets):
#   MLFLOW_USERNAME, MLFLOW_PASSWORD       admin credentials (required; password: 12+ characters)
#   MLFLOW_FLASK_SERVER_SECRET_KEY         static Flask secret for the auth app's CSRF protection (required)
#   MLFLOW_DEFAULT_PERMISSION              permission where a user has no grant [NO_PERMISSIONS]
#   BACKEND_STORE_URI                      tracking store URI; or built from:
#     DATABASE_HOST [database], DATABASE_PORT [5432],
#     MLFLOW_DB_NAME [mlflow], MLFLOW_DB_USER [mlflow], MLFLOW_DB_PASSWORD (required without the URI)
#   AUTH_DATABASE_URI                      auth store URI; or built from DATABASE_HOST, DATABASE_PORT and
#     MLFLOW_AUTH_DB_NAME [mlflow_auth], MLFLOW_AUTH_DB_USER [mlflow_auth], MLFLOW_AUTH_DB_PASSWORD
#   MLFLOW_ARTIFACTS_DESTINATION           where proxied artifacts are stored [/mlflow/artifacts]
#   MLFLOW_HOST [0.0.0.0], MLFLOW_PORT [5000], MLFLOW_WORKERS [4]
#   DOMAIN                                 public host name, added to the allowed Host headers
#   MLFLOW_SERVER_ALLOWED_HOSTS            allowed Host headers (DNS-rebinding protection); default:
#                                          DOMAIN, the compose service name `mlflow` and localhost, any port
#   MLFLOW_AUTH_SYNC_ADMIN [true]          step 5 (false: leave an existing admin user alone)
#   MLFLOW_DB_WAIT_SECONDS [60]            how long step 3 waits
#   MLFLOW_BIN [mlflow], PYTHON [python next to MLFLOW_BIN, else python3], MLFLOW_AUTH_CONFIG_DIR [$TMPDIR or /tmp]
set -eu

log() { printf 'mlflow-entrypoint: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}
value_of() { eval "printf '%s' \"\${$1:-}\""; }
require() { # NAME, what it is
  [ -n "$(value_of "$1")" ] || fail "$1 is required: $2"
}
single_line() { # NAME
  case "$(value_of "$1")" in
    *'
'*) fail "$1 must be a single line" ;;
  esac
}
is_uint() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac }

# --- 1. validation -------------------------------------------------------------------------------------
# MLflow would let these override the file written below; MLFLOW_USERNAME / MLFLOW_PASSWORD are the one source.
unset MLFLOW_AUTH_ADMIN_USERNAME MLFLOW_AUTH_ADMIN_PASSWORD
require MLFLOW_USERNAME "MLflow admin username (the signup service uses the same)"
require MLFLOW_PASSWORD "MLflow admin password, 12 or more characters (the signup service uses the same)"
require MLFLOW_FLASK_SERVER_SECRET_KEY "a long random string, e.g. openssl rand -hex 32"
single_line MLFLOW_USERNAME
single_line MLFLOW_PASSWORD
[ "${#MLFLOW_PASSWORD}" -ge 12 ] || fail "MLFLOW_PASSWORD must have 12 or more characters (MLflow's password rule)"
[ "$MLFLOW_PASSWORD" != "password1234" ] || fail "MLFLOW_PASSWORD must not be MLflow's old default password"
case "$MLFLOW_PASSWORD" in
  ' '* | *' ' | '	'* | *'	') fail "MLFLOW_PASSWORD must not start or end with whitespace" ;;
esac
[ "${#MLFLOW_FLASK_SERVER_SECRET_KEY}" -ge 16 ] || fail "MLFLOW_FLASK_SERVER_SECRET_KEY must have 16 or more characters"

MLFLOW_DEFAULT_PERMISSION="${MLFLOW_DEFAULT_PERMISSION:-NO_PERMISSIONS}"
case "$MLFLOW_DEFAULT_PERMISSION" in
  READ | USE | EDIT | MANAGE | NO_PERMISSIONS) ;;
  *) fail "MLFLOW_DEFAULT_PERMISSION must be one of READ, USE, EDIT, MANAGE, NO_PERMISSIONS (got '$MLFLOW_DEFAULT_PERMISSION')" ;;
esac

MLFLOW_HOST="${MLFLOW_HOST:-0.0.0.0}"
MLFLOW_PORT="${MLFLOW_PORT:-5000}"
MLFLOW_WORKERS="${MLFLOW_WORKERS:-4}"
MLFLOW_DB_WAIT_SECONDS="${MLFLOW_DB_WAIT_SECONDS:-60}"
if ! { is_uint "$MLFLOW_PORT" && [ "$MLFLOW_PORT" -ge 1 ] && [ "$MLFLOW_PORT" -le 65535 ]; }; then
  fail "MLFLOW_PORT must be a port number (got '$MLFLOW_PORT')"
fi
if ! { is_uint "$MLFLOW_WORKERS" && [ "$MLFLOW_WORKERS" -ge 1 ]; }; then
  fail "MLFLOW_WORKERS must be a positive integer (got '$MLFLOW_WORKERS')"
fi
is_uint "$MLFLOW_DB_WAIT_SECONDS" || fail "MLFLOW_DB_WAIT_SECONDS must be a number of seconds (got '$MLFLOW_DB_WAIT_SECONDS')"
case "${MLFLOW_AUTH_SYNC_ADMIN:-true}" in
  true | false) ;;
  *) fail "MLFLOW_AUTH_SYNC_ADMIN must be true or false" ;;
esac

MLFLOW_BIN="${MLFLOW_BIN:-mlflow}"
command -v "$MLFLOW_BIN" >/dev/null 2>&1 || fail "MLFLOW_BIN: '$MLFLOW_BIN' is not an executable"
if [ -z "${PYTHON:-}" ]; then
  case "$MLFLOW_BIN" in
    */*) if [ -x "${MLFLOW_BIN%/*}/python" ]; then PYTHON="${MLFLOW_BIN%/*}/python"; fi ;;
  esac
fi
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || fail "PYTHON: '$PYTHON' is not an executable"

# --- 2. database URIs ----------------------------------------------------------------------------------
urlencode() { V="$1" "$PYTHON" -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["V"], safe=""))'; }
DATABASE_HOST="${DATABASE_HOST:-database}"
DATABASE_PORT="${DATABASE_PORT:-5432}"
postgres_uri() { # NAME-prefix (MLFLOW_DB / MLFLOW_AUTH_DB), default db, default user, what
  name="$(value_of "$1_NAME")"
  user="$(value_of "$1_USER")"
  require "$1_PASSWORD" "password of the $4 database role (or give the full URI)"
  printf 'postgresql+psycopg2://%s:%s@%s:%s/%s' "$(urlencode "${user:-$3}")" "$(urlencode "$(value_of "$1_PASSWORD")")" \
    "$DATABASE_HOST" "$DATABASE_PORT" "$(urlencode "${name:-$2}")"
}
if [ -z "${BACKEND_STORE_URI:-}" ]; then
  BACKEND_STORE_URI="$(postgres_uri MLFLOW_DB mlflow mlflow "MLflow tracking")"
fi
if [ -z "${AUTH_DATABASE_URI:-}" ]; then
  AUTH_DATABASE_URI="$(postgres_uri MLFLOW_AUTH_DB mlflow_auth mlflow_auth "MLflow auth")"
fi
single_line BACKEND_STORE_URI
single_line AUTH_DATABASE_URI
[ "$BACKEND_STORE_URI" != "$AUTH_DATABASE_URI" ] || fail "AUTH_DATABASE_URI must name another database than BACKEND_STORE_URI"
export BACKEND_STORE_URI AUTH_DATABASE_URI

MLFLOW_ARTIFACTS_DESTINATION="${MLFLOW_ARTIFACTS_DESTINATION:-/mlflow/artifacts}"
case "$MLFLOW_ARTIFACTS_DESTINATION" in
  *://*) ;; # object storage, checked by MLflow
  *)
    mkdir -p "$MLFLOW_ARTIFACTS_DESTINATION" 2>/dev/null || true
    if ! { [ -d "$MLFLOW_ARTIFACTS_DESTINATION" ] && [ -w "$MLFLOW_ARTIFACTS_DESTINATION" ]; }; then
      fail "MLFLOW_ARTIFACTS_DESTINATION: '$MLFLOW_ARTIFACTS_DESTINATION' is not a writable directory for $(id -un 2>/dev/null || id -u)"
    fi
    ;;
esac

if [ -z "${MLFLOW_SERVER_ALLOWED_HOSTS:-}" ]; then
  MLFLOW_SERVER_ALLOWED_HOSTS="mlflow,mlflow:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*"
  if [ -n "${DOMAIN:-}" ]; then MLFLOW_SERVER_ALLOWED_HOSTS="$DOMAIN,$DOMAIN:*,$MLFLOW_SERVER_ALLOWED_HOSTS"; fi
fi
export MLFLOW_SERVER_ALLOWED_HOSTS

# --- 3. wait for the databases -------------------------------------------------------------------------
MLFLOW_DB_WAIT_SECONDS="$MLFLOW_DB_WAIT_SECONDS" "$PYTHON" - <<'PY' || fail "the databases are not reachable (see above)"
import os, sys, time
import sqlalchemy

deadline = time.monotonic() + float(os.environ["MLFLOW_DB_WAIT_SECONDS"])
for var in ("BACKEND_STORE_URI", "AUTH_DATABASE_URI"):
    engine = sqlalchemy.create_engine(os.environ[var])
    while True:
        try:
            with engine.connect():
                break
        except Exception as e:  # noqa: BLE001 - report whatever the driver says, minus the URI
            if time.monotonic() >= deadline:
                print(f"mlflow-entrypoint: {var}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
                sys.exit(1)
            time.sleep(1)
    engine.dispose()
PY

# --- 4. auth configuration (private file) --------------------------------------------------------------
ini_value() { printf '%s' "$1" | sed 's/%/%%/g'; } # configparser interpolation: % must be doubled
umask 077
config_dir="$(mktemp -d "${MLFLOW_AUTH_CONFIG_DIR:-${TMPDIR:-/tmp}}/mlflow-auth.XXXXXX")"
MLFLOW_AUTH_CONFIG_PATH="$config_dir/basic_auth.ini"
cat >"$MLFLOW_AUTH_CONFIG_PATH" <<EOF
[mlflow]
default_permission = $MLFLOW_DEFAULT_PERMISSION
database_uri = $(ini_value "$AUTH_DATABASE_URI")
admin_username = $(ini_value "$MLFLOW_USERNAME")
admin_password = $(ini_value "$MLFLOW_PASSWORD")
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
EOF
export MLFLOW_AUTH_CONFIG_PATH
umask 022

# --- 5. auth database: migrate, admin user --------------------------------------------------------------
MLFLOW_USERNAME="$MLFLOW_USERNAME" MLFLOW_PASSWORD="$MLFLOW_PASSWORD" SYNC="${MLFLOW_AUTH_SYNC_ADMIN:-true}" \
  "$PYTHON" - <<'PY' || fail "could not prepare the auth database (see above)"
import os
from mlflow.server.auth.config import read_auth_config
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

config = read_auth_config()  # the file just written: proves it parses to the intended values
assert config.database_uri == os.environ["AUTH_DATABASE_URI"], "database_uri did not survive the ini file"
assert config.admin_username == os.environ["MLFLOW_USERNAME"], "admin_username did not survive the ini file"
assert config.admin_password == os.environ["MLFLOW_PASSWORD"], "admin_password did not survive the ini file"
store = SqlAlchemyStore()
store.init_db(config.database_uri)  # creates or migrates the auth schema
user, password = config.admin_username, config.admin_password
if not store.has_user(user, use_primary=True):
    store.create_user(user, password, is_admin=True)
    print(f"mlflow-entrypoint: created admin user '{user}'")
elif os.environ["SYNC"] == "true":
    if not store.authenticate_user(user, password, use_primary=True):
        store.update_user(user, password=password)
        print(f"mlflow-entrypoint: reset the password of admin user '{user}' to MLFLOW_PASSWORD")
    if not store.get_user(user).is_admin:
        store.update_user(user, is_admin=True)
        print(f"mlflow-entrypoint: made '{user}' an admin")
store.engine.dispose()
PY

# --- 6. tracking database ------------------------------------------------------------------------------
if [ "${MLFLOW_DB_UPGRADE:-true}" = "true" ]; then
  log "upgrading the tracking database schema"
  "$MLFLOW_BIN" db upgrade "$BACKEND_STORE_URI"
fi

# --- 7. server -----------------------------------------------------------------------------------------
# The store URI goes to MLflow through its own variable rather than the command line: a process's
# environment is private to its user, its command line is visible to everyone on the host (ps).
export MLFLOW_BACKEND_STORE_URI="$BACKEND_STORE_URI"
unset BACKEND_STORE_URI AUTH_DATABASE_URI MLFLOW_PASSWORD MLFLOW_DB_PASSWORD MLFLOW_AUTH_DB_PASSWORD
log "starting MLflow on $MLFLOW_HOST:$MLFLOW_PORT with $MLFLOW_WORKERS worker(s), allowed hosts: $MLFLOW_SERVER_ALLOWED_HOSTS"
exec "$MLFLOW_BIN" server \
  --app-name basic-auth \
  --serve-artifacts \
  --artifacts-destination "$MLFLOW_ARTIFACTS_DESTINATION" \
  --host "$MLFLOW_HOST" \
  --port "$MLFLOW_PORT" \
  --workers "$MLFLOW_WORKERS" \
  "$@"
