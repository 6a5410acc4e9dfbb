#!/usr/bin/env bash
# Stops, starts or restarts the private PostgreSQL of a `./crm test` run, for tests that take
# the database away and bring it back, as ops do with a restart or a failover.
# Usage: postgres-control.sh stop|start|restart   (restart: pg_ctl -m fast restart)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/infra.sh"
data="$CRM_STATE/postgres"
case "${1:-}" in
  stop) runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null ;;
  start) crm_pg_start ;;
  restart) runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m fast -w restart \
             -l "$CRM_STATE/logs/postgres.log" >/dev/null ;;
  *) echo "usage: $0 stop|start|restart" >&2; exit 2 ;;
esac
