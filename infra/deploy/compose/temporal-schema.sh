#!/bin/sh
# Temporal's schemas on PostgreSQL, with temporalio/admin-tools' temporal-sql-tool. The
# databases exist already (postgres-init/); `setup-schema -v 0.0` leaves an existing schema
# alone and `update-schema` applies only the versions not yet applied, so this runs on every
# start and after every server upgrade.
set -eu
: "${POSTGRES_SEEDS:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir="$SCHEMA_DIR/temporal/versioned" ;;
    *) dir="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
    -u "$SQL_USER" --db "$db" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
    -u "$SQL_USER" --db "$db" update-schema -d "$dir"
done
echo "temporal schemas up to date"
