#!/bin/sh
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): the services' login.
# relaydesk_app holds no rights of its own (NOINHERIT): each service's pool acts as that service's
# role (relaydesk_router, relaydesk_agent_api, ...), which owns the service's schema and may read
# only the views other services publish to it. `migrate` (relaydesk_owner) creates those roles and
# schemas and lets relaydesk_app act as each (RELAYDESK_DATABASE_SERVICE_LOGINS in compose), also on
# a volume created before the split.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$RELAYDESK_DB_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE relaydesk_app LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO relaydesk_app;
SQL
