#!/bin/sh
# Runs once, when the PostgreSQL data volume is created (docker-entrypoint-initdb.d): one role
# and two databases for Temporal (persistence and visibility), one role and one database for
# the ledger. Passwords come from the container's environment (compose.yaml, .env).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v ledger_password="$LEDGER_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
CREATE ROLE complaints LOGIN PASSWORD :'ledger_password';
CREATE DATABASE complaints OWNER complaints;
SQL
