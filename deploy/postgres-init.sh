#!/bin/sh
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): the services' role.
# relaydesk_app may read and write rows, never change the schema; `migrate` (the owner) does that,
# and the default privileges below cover every table and sequence the owner creates later.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$RELAYDESK_DB_PASSWORD" -v owner="$POSTGRES_USER" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE relaydesk_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO relaydesk_app;
GRANT USAGE ON SCHEMA public TO relaydesk_app;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO relaydesk_app;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO relaydesk_app;
SQL
