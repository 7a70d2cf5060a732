#!/bin/bash
# postgres-init.sh - run once by the postgres image on an empty data volume
# (mounted into /docker-entrypoint-initdb.d/). Mirrors scripts/stack.sh: the
# application role is a plain login role owning its database, not a superuser.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_user="${MPC_PG_USER:-mpc}" -v app_db="${MPC_PG_DB:-mpc}" \
  -v app_password="${MPC_PG_PASSWORD:?MPC_PG_PASSWORD must be set}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') \gexec
SQL
