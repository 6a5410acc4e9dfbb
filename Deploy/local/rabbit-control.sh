#!/usr/bin/env bash
# Stops or starts the private RabbitMQ node of a `./crm test` run, for tests that take the
# broker away and bring it back. Usage: rabbit-control.sh stop|start
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/infra.sh"
case "${1:-}" in
  stop) crm_rabbit_stop ;;
  start) crm_rabbit_start ;;
  *) echo "usage: $0 stop|start" >&2; exit 2 ;;
esac
