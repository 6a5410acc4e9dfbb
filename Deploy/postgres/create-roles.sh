#!/usr/bin/env bash
# Creates Dealer CRM's database roles and schemas: one login role per service, owning exactly
# one schema, with no rights on any other. Idempotent: run it on every start.
#
# Connects with the libpq environment (PGHOST, PGPORT, PGUSER = a superuser, PGDATABASE,
# PGPASSWORD). Passwords: CRM_DB_PASSWORD, the same for every role unless
# CRM_DB_PASSWORD_<SCHEMA> (e.g. CRM_DB_PASSWORD_LEADS) says otherwise. Every role needs one:
# there is no default, except `dealer-crm-dev` with CRM_ENVIRONMENT=development (the local
# launcher's private server). Generate one with: openssl rand -base64 32 | tr -d '/+='
set -euo pipefail

schemas=(identity leads prospects aftersales customer_service coupons marketing)

development_default=
if [[ ${CRM_ENVIRONMENT:-production} == [Dd][Ee][Vv][Ee][Ll][Oo][Pp][Mm][Ee][Nn][Tt] ]]; then
  development_default=dealer-crm-dev
fi

# Check every password before creating anything, so a missing one leaves no half-made setup.
declare -A passwords
for schema in "${schemas[@]}"; do
  override="CRM_DB_PASSWORD_${schema^^}"
  password="${!override:-${CRM_DB_PASSWORD:-$development_default}}"
  if [[ -z $password ]]; then
    echo "create-roles.sh: no password for role crm_${schema}: set CRM_DB_PASSWORD (or $override);" \
         "generate one with: openssl rand -base64 32 | tr -d '/+='" >&2
    exit 1
  fi
  passwords[$schema]=$password
done

for schema in "${schemas[@]}"; do
  role="crm_${schema}"
  password="${passwords[$schema]}"
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
