#!/usr/bin/env bash
# What PostgreSQL ran during a bench, from pg_stat_statements (`./crm bench` preloads it):
#
#   pg_statements reset                 forget what ran before
#   pg_statements report UNITS WHAT     the statements since, most time first: calls per unit
#                                       ("per redemption"), PostgreSQL's time per call, the text
#
# Sourced by suite-bench.sh, with its PG_PORT and PG_SUPERUSER_PASSWORD. Shows how many round
# trips a unit of work costs and which of them PostgreSQL spends its time on.
pg_statements() {
  local sql=(env PGPASSWORD="$PG_SUPERUSER_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qtAX -v ON_ERROR_STOP=1)
  case "$1" in
    reset)
      "${sql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" > /dev/null ;;
    report)
      local units=$2 what=$3
      echo "    PostgreSQL's statements (pg_stat_statements; calls per $what, ms per call, share of the time):"
      "${sql[@]}" -F $'\t' -c "
        WITH s AS (SELECT calls, total_exec_time, query FROM pg_stat_statements
                   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'dealer_crm') AND query NOT LIKE '%pg_stat_statements%')
        SELECT round(calls::numeric / $units, 2), round((total_exec_time / greatest(calls, 1))::numeric, 3),
               round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1),
               left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
        FROM s ORDER BY total_exec_time DESC LIMIT 12" \
        | awk -F '\t' '{ printf "      %6s  %8s ms  %5s%%  %s\n", $1, $2, $3, $4 }' ;;
  esac
}
