#!/usr/bin/env bash
# The README's launcher, as an operator uses it: `./crm up` brings every service to ready,
# `status` says so, `restart` restarts one, and `./crm down` stops everything `up` started.
# Runs on free ports with a state folder of its own, so it never touches a developer's suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Deploy/local/infra.sh

free_port_block() {  # a base port with the six after it free too
  python3 - <<'PY'
import socket
for base in range(20000, 60000, 17):
    sockets = []
    try:
        for port in range(base, base + 7):
            s = socket.socket(); s.bind(("127.0.0.1", port)); sockets.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in sockets: s.close()
PY
}

export CRM_STATE_DIR
CRM_STATE_DIR=$(mktemp -d /tmp/crm-launcher.XXXXXX)
chmod 755 "$CRM_STATE_DIR"
export CRM_PORT_BASE CRM_PG_PORT CRM_AMQP_PORT CRM_AMQP_MGMT_PORT CRM_AMQP_DIST_PORT CRM_EPMD_PORT
CRM_PORT_BASE=$(free_port_block)
CRM_PG_PORT=$(crm_free_port); CRM_AMQP_PORT=$(crm_free_port); CRM_AMQP_MGMT_PORT=$(crm_free_port)
CRM_AMQP_DIST_PORT=$(crm_free_port); CRM_EPMD_PORT=$(crm_free_port)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cleanup() { ./crm down >/dev/null 2>&1 || true; rm -rf "$CRM_STATE_DIR"; }
trap cleanup EXIT

up_output=$(./crm up)
echo "$up_output" | tail -n 3
gateway_url="http://127.0.0.1:$CRM_PORT_BASE"
echo "$up_output" | grep -q "gateway at $gateway_url" || fail "up does not print where the gateway listens"
for offset in 0 1 2 3 4 5 6; do
  port=$((CRM_PORT_BASE + offset))
  curl -fsS "http://127.0.0.1:$port/health/ready" | grep -q '"ready"' || fail "service on port $port is not ready"
done
status=$(./crm status)
echo "$status"
[ "$(echo "$status" | grep -c ' ready ')" -eq 7 ] || fail "status does not show seven ready services"
echo "$status" | grep -q "management   http://127.0.0.1:$CRM_AMQP_MGMT_PORT/" || fail "status does not show the management URL"
# `up` made the installation's secrets once: no password of the repository, the broker's own user.
# shellcheck source=/dev/null
source "$CRM_STATE_DIR/secrets.env"
[ "$CRM_AMQP_USER" = crm ] && [ "${#CRM_AMQP_PASSWORD}" -ge 24 ] && [ "${#CRM_DB_PASSWORD}" -ge 24 ] || fail "up did not generate the passwords"
[ "$(stat -c %a "$CRM_STATE_DIR/secrets.env")" = 600 ] || fail "secrets.env is readable by others"
echo "$status" | grep -q "postgresql   postgres://postgres:$PG_SUPERUSER_PASSWORD@127.0.0.1:$CRM_PG_PORT/dealer_crm" \
  || fail "status does not show the PostgreSQL URL with its generated password"
echo "$status" | grep -q "rabbitmq     amqp://crm:$CRM_AMQP_PASSWORD@127.0.0.1:$CRM_AMQP_PORT/" \
  || fail "status does not show the broker URL with the generated user"
# The secrets are made once: a second `up` (everything already running) keeps them.
secrets_before=$(sha256sum "$CRM_STATE_DIR/secrets.env" "$CRM_STATE_DIR/keys/signing.json")
./crm up > /dev/null
[ "$(sha256sum "$CRM_STATE_DIR/secrets.env" "$CRM_STATE_DIR/keys/signing.json")" = "$secrets_before" ] \
  || fail "a second up made new secrets"
# `logs` follows a service's log.
timeout 2 ./crm logs leads > "$CRM_STATE_DIR/leads-follow.log" 2>&1 || true
grep -q "listening" "$CRM_STATE_DIR/leads-follow.log" || fail "logs leads does not show the leads log"
curl -fsS -u "$CRM_AMQP_USER:$CRM_AMQP_PASSWORD" "http://127.0.0.1:$CRM_AMQP_MGMT_PORT/api/overview" >/dev/null || fail "RabbitMQ management does not answer with the generated user"
curl -fsS -u guest:guest "http://127.0.0.1:$CRM_AMQP_MGMT_PORT/api/overview" >/dev/null 2>&1 && fail "RabbitMQ still lets guest in"
curl -fsS "$gateway_url/.well-known/jwks.json" | grep -q '"kty":"OKP"' || fail "the gateway publishes no public key"
curl -fsS "$gateway_url/.well-known/jwks.json" | grep -q '"d"' && fail "the gateway publishes a private key"

# The demo users are seeded; the API answers as its document says (README: schemathesis).
gateway="http://127.0.0.1:$CRM_PORT_BASE"
for _ in $(seq 1 50); do  # the gateway seeds just after it is ready
  login=$(curl -sS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"cs.agent.1","password":"dealer-demo"}')
  echo "$login" | grep -q '"accessToken"' && break
  sleep 0.2
done
echo "$login" | grep -q '"accessToken"' || fail "demo user cs.agent.1 cannot log in: $login"
CRM_SCHEMATHESIS_EXAMPLES=${CRM_SCHEMATHESIS_EXAMPLES:-15} bash Tests/OpenAPI/schemathesis.sh "$gateway" > "$CRM_STATE_DIR/schemathesis.log" 2>&1 \
  || { sed -n '/FAILURES\|ERRORS/,/WARNINGS/p' "$CRM_STATE_DIR/schemathesis.log" | head -n 150; tail -n 30 "$CRM_STATE_DIR/schemathesis.log"
       fail "schemathesis found responses the document does not allow"; }
grep -E "test cases|generated" "$CRM_STATE_DIR/schemathesis.log" | tail -n 2 || true

old=$(cat "$CRM_STATE_DIR/pids/leads.pid")
./crm restart leads
new=$(cat "$CRM_STATE_DIR/pids/leads.pid")
[ "$old" != "$new" ] && ! crm_alive "$old" || fail "restart did not replace the leads process"

pids=$(cat "$CRM_STATE_DIR"/pids/*.pid)
rabbit=$(cat "$CRM_STATE_DIR/rabbitmq/rabbitmq.pid")
postgres=$(head -1 "$CRM_STATE_DIR/postgres/postmaster.pid")
./crm down
for pid in $pids $rabbit $postgres; do
  crm_alive "$pid" && fail "process $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)) is still running after down"
done
for port in "$CRM_PORT_BASE" "$CRM_PG_PORT" "$CRM_AMQP_PORT"; do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && fail "port $port still open after down"
done

if [ "$failures" -gt 0 ]; then
  echo "launcher: $failures check(s) failed"
  exit 1
fi
echo "launcher: up, status, restart and down all behaved"
