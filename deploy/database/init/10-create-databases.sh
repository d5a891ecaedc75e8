#!/usr/bin/env bash
# Creates the stack's three databases, each owned by its own login role with its own password:
#
#   MLflow tracking store   MLFLOW_DB_NAME (mlflow)            owned by MLFLOW_DB_USER (mlflow)            MLFLOW_DB_PASSWORD
#   MLflow auth store       MLFLOW_AUTH_DB_NAME (mlflow_auth)  owned by MLFLOW_AUTH_DB_USER (mlflow_auth)  MLFLOW_AUTH_DB_PASSWORD
#   signup sessions         SIGNUP_DB_NAME (signup)            owned by SIGNUP_DB_USER (signup)            SIGNUP_DB_PASSWORD
#
# The postgres image runs it once, when it initialises an empty data volume (/docker-entrypoint-initdb.d).
# It is idempotent, and the environment is the source of truth, so it can be run again at any time:
#   - after changing a *_DB_PASSWORD in .env (it sets the roles' passwords again):
#       docker compose -f deploy/compose.yml -f deploy/compose.prod.yml --env-file .env \
#         exec database /docker-entrypoint-initdb.d/10-create-databases.sh
#     then restart mlflow and signup;
#   - against any PostgreSQL, with the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD) of a
#     superuser, or inside the postgres image (POSTGRES_USER / POSTGRES_DB over the unix socket).
# Only CONNECT on each database is revoked from PUBLIC: a role reaches only its own database.
set -euo pipefail

fail() {
  echo "10-create-databases.sh: $*" >&2
  exit 1
}

# Name defaults.
: "${MLFLOW_DB_NAME:=mlflow}" "${MLFLOW_DB_USER:=mlflow}"
: "${MLFLOW_AUTH_DB_NAME:=mlflow_auth}" "${MLFLOW_AUTH_DB_USER:=mlflow_auth}"
: "${SIGNUP_DB_NAME:=signup}" "${SIGNUP_DB_USER:=signup}"

check_name() { # variable name
  local value="${!1}"
  [[ "$value" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    fail "$1 must be a lowercase SQL identifier (letters, digits, underscore; at most 63), got '$value'"
}
check_password() { # variable name, what it is
  [ -n "${!1:-}" ] || fail "$1 is required: $2"
  case "${!1}" in
    *$'\n'* | *$'\r'*) fail "$1 must not contain line breaks" ;;
  esac
}

for v in MLFLOW_DB_NAME MLFLOW_DB_USER MLFLOW_AUTH_DB_NAME MLFLOW_AUTH_DB_USER SIGNUP_DB_NAME SIGNUP_DB_USER; do
  check_name "$v"
done
check_password MLFLOW_DB_PASSWORD "password of the MLflow tracking database role ($MLFLOW_DB_USER)"
check_password MLFLOW_AUTH_DB_PASSWORD "password of the MLflow auth database role ($MLFLOW_AUTH_DB_USER)"
check_password SIGNUP_DB_PASSWORD "password of the signup sessions database role ($SIGNUP_DB_USER)"
# compose puts this one into the signup service's SESSION_DATABASE_URL as it is, so it must be URL-safe.
[[ "$SIGNUP_DB_PASSWORD" =~ ^[A-Za-z0-9._~-]+$ ]] ||
  fail "SIGNUP_DB_PASSWORD may only contain letters, digits and . _ ~ - (it goes into a URL); e.g. openssl rand -hex 24"

if [ "$MLFLOW_DB_NAME" = "$MLFLOW_AUTH_DB_NAME" ] || [ "$MLFLOW_DB_NAME" = "$SIGNUP_DB_NAME" ] ||
  [ "$MLFLOW_AUTH_DB_NAME" = "$SIGNUP_DB_NAME" ]; then
  fail "MLFLOW_DB_NAME, MLFLOW_AUTH_DB_NAME and SIGNUP_DB_NAME must be three different databases"
fi

# Inside the postgres image: its superuser over the unix socket. Elsewhere: the caller's PG* variables.
export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
export PGDATABASE="${PGDATABASE:-${POSTGRES_DB:-postgres}}"

# One database: role (created or its password reset), database (created if missing), ownership, access.
# The password travels through the environment (psql's \getenv), never through a command line.
ensure_database() { # db, role, password variable
  psql -X -q -v ON_ERROR_STOP=1 -v db="$1" -v role="$2" -v pwvar="$3" <<'SQL'
\getenv password :pwvar
SELECT format('CREATE ROLE %I LOGIN', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'role', 'UTF8')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT ALL ON DATABASE %I TO %I', :'db', :'role') \gexec
SQL
  echo "10-create-databases.sh: database '$1' owned by role '$2' is ready"
}

ensure_database "$MLFLOW_DB_NAME" "$MLFLOW_DB_USER" MLFLOW_DB_PASSWORD
ensure_database "$MLFLOW_AUTH_DB_NAME" "$MLFLOW_AUTH_DB_USER" MLFLOW_AUTH_DB_PASSWORD
ensure_database "$SIGNUP_DB_NAME" "$SIGNUP_DB_USER" SIGNUP_DB_PASSWORD
