#!/usr/bin/env bash
# Creates one database per LokOS service, owned by the compose PostgreSQL user.
# Run by the postgres image from /docker-entrypoint-initdb.d on the first start with an empty
# data directory. Each service connects only to its own database (LOKOS_DATABASE_URL) and runs
# its own migrations; tests/unit/test_compose.py checks this list against docker-compose.yml.
set -euo pipefail

databases=(
  lokos_identity
  lokos_profiles
  lokos_dedup
  lokos_transactions
  lokos_reports
  lokos_helpdesk
)

for database in "${databases[@]}"; do
  echo "init-databases: ensuring database ${database}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB:-postgres}" \
    --set=database="${database}" --set=owner="${POSTGRES_USER}" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database')
\gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
done
