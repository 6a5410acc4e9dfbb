#!/usr/bin/env bash
# Creates Dealer CRM's database roles and schemas: one login role per service, owning exactly
# one schema, with no rights on any other. Idempotent: run it on every start.
#
# Connects with the libpq environment (PGHOST, PGPORT, PGUSER = a superuser, PGDATABASE,
# PGPASSWORD). Passwords: CRM_DB_PASSWORD (default dealer-crm-dev), the same for every role
# unless CRM_DB_PASSWORD_<SCHEMA> (e.g. CRM_DB_PASSWORD_LEADS) says otherwise.
set -euo pipefail

schemas=(identity leads prospects aftersales customer_service coupons marketing)

for schema in "${schemas[@]}"; do
  role="crm_${schema}"
  override="CRM_DB_PASSWORD_${schema^^}"
  password="${!override:-${CRM_DB_PASSWORD:-dealer-crm-dev}}"
  psql -v ON_ERROR_STOP=1 -q -X \
       -v role="$role" -v schema="$schema" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"role";
ALTER SCHEMA :"schema" OWNER TO :"role";
ALTER ROLE :"role" SET search_path = :"schema";
SQL
done

# Nobody but a schema's owner may use it; nobody may create objects in public.
psql -v ON_ERROR_STOP=1 -q -X <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), rolname)
FROM pg_roles WHERE rolname LIKE 'crm\_%' \gexec
SQL
