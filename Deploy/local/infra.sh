# Private PostgreSQL and RabbitMQ servers for the launcher and the tests, on loopback.
# Sourced by ./crm; every function takes the state folder and ports from the environment:
#   CRM_STATE   folder for data, logs and pid files
#   PG_PORT, AMQP_PORT, AMQP_DIST_PORT, AMQP_MGMT_PORT (0 = no management plugin), EPMD_PORT
# Servers started here are stopped by pid, never by name.

PG_BIN=/usr/lib/postgresql/15/bin
PG_SUPERUSER_PASSWORD=${PG_SUPERUSER_PASSWORD:-dealer-crm-admin}

# Whether a process is alive. A zombie is not: in a container whose PID 1 does not reap
# orphans, a stopped server can linger as one, and `kill -0` alone would say it runs.
crm_alive() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)
  [ "$state" != Z ]
}

# apt packages the suite needs to build, run and test.
crm_install_packages() {
  # pango, cairo and the CJK fonts write the printable documents (PDF); poppler-utils reads them
  # back in the tests (pdffonts, pdftotext, pdftoppm). libxml2's HTML parser reads rich text
  # before it is sanitised (Shared/CLibXML2). libqrencode makes the channels' QR codes, which the
  # tests decode with zbarimg (zbar-tools).
  local wanted=(postgresql rabbitmq-server librabbitmq-dev amqp-tools libxlsxwriter-dev zlib1g-dev
    libpango1.0-dev libcairo2-dev libxml2-dev fonts-noto-cjk fonts-hanazono poppler-utils wrk python3-pip
    libqrencode-dev zbar-tools)
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# A free TCP port on loopback.
crm_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

crm_pg_start() {
  local data="$CRM_STATE/postgres"
  mkdir -p "$CRM_STATE/logs"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    chown postgres:postgres "$data"
    local pwfile
    pwfile=$(mktemp)
    echo "$PG_SUPERUSER_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
      --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  touch "$CRM_STATE/logs/postgres.log"
  chown postgres "$CRM_STATE/logs/postgres.log"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -l "$CRM_STATE/logs/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $data -c max_connections=300 -c fsync=${PG_FSYNC:-on} -c synchronous_commit=${PG_SYNC_COMMIT:-on} ${PG_EXTRA_OPTIONS:-}" start >/dev/null
  # The database and the service roles.
  PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -q -X -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'dealer_crm'" | grep -q 1 ||
    PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -q -X -c "CREATE DATABASE dealer_crm"
  # A private development server: the roles' password is CRM_DB_PASSWORD, else dealer-crm-dev.
  CRM_ENVIRONMENT=development \
  PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGPASSWORD=$PG_SUPERUSER_PASSWORD PGDATABASE=dealer_crm \
    "$CRM_ROOT/Deploy/postgres/create-roles.sh"
}

crm_pg_stop() {
  local data="$CRM_STATE/postgres"
  [ -f "$data/postmaster.pid" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
}

crm_rabbit_env() {
  export RABBITMQ_NODENAME="crm-$AMQP_PORT@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=$AMQP_DIST_PORT
  export ERL_EPMD_PORT=$EPMD_PORT
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$CRM_STATE/rabbitmq/mnesia"
  export RABBITMQ_LOG_BASE="$CRM_STATE/rabbitmq/log"
  export RABBITMQ_CONFIG_FILE="$CRM_STATE/rabbitmq/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$CRM_STATE/rabbitmq/enabled_plugins"
  export RABBITMQ_PID_FILE="$CRM_STATE/rabbitmq/rabbitmq.pid"
  export HOME="$CRM_STATE/rabbitmq"  # the node's Erlang cookie lives here, not in the system's
}

# Runs a RabbitMQ command-line tool as the rabbitmq user against our private node.
crm_rabbit_tool() {
  (crm_rabbit_env; runuser -u rabbitmq -- env HOME="$HOME" "/usr/lib/rabbitmq/bin/$1" "${@:2}")
}

crm_rabbit_start() {
  mkdir -p "$CRM_STATE/rabbitmq/mnesia" "$CRM_STATE/rabbitmq/log" "$CRM_STATE/logs"
  (
    crm_rabbit_env
    {
      echo "listeners.tcp.default = 127.0.0.1:$AMQP_PORT"
      echo "loopback_users = none"
      # The user a new node is made with: ./crm up's generated one (secrets.env), guest for tests.
      echo "default_user = ${AMQP_USER:-guest}"
      echo "default_pass = ${AMQP_PASSWORD:-guest}"
      echo "heartbeat = 10"
      if [ "${AMQP_MGMT_PORT:-0}" != 0 ]; then
        echo "management.tcp.port = $AMQP_MGMT_PORT"
        echo "management.tcp.ip = 127.0.0.1"
      fi
    } > "$RABBITMQ_CONFIG_FILE.conf"
    if [ "${AMQP_MGMT_PORT:-0}" != 0 ]; then echo "[rabbitmq_management]."; else echo "[]."; fi > "$RABBITMQ_ENABLED_PLUGINS_FILE"
    chown -R rabbitmq:rabbitmq "$CRM_STATE/rabbitmq"
    rm -f "$RABBITMQ_PID_FILE"
    # runuser keeps this environment. The node writes its own pid to RABBITMQ_PID_FILE; $! is
    # only the launcher's.
    runuser -u rabbitmq -- env HOME="$HOME" /usr/lib/rabbitmq/bin/rabbitmq-server > "$CRM_STATE/logs/rabbitmq.log" 2>&1 &
    echo $! > "$CRM_STATE/rabbitmq/launcher.pid"
  )
  crm_rabbit_wait_ready
}

# The Erlang VM's pid, once the node has written it.
crm_rabbit_pid() {
  cat "$CRM_STATE/rabbitmq/rabbitmq.pid" 2>/dev/null || true
}

crm_rabbit_wait_ready() {
  for _ in $(seq 1 120); do
    if [ -n "$(crm_rabbit_pid)" ] && (exec 3<>"/dev/tcp/127.0.0.1/$AMQP_PORT") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "RabbitMQ did not start; see $CRM_STATE/logs/rabbitmq.log" >&2
  return 1
}

crm_rabbit_stop() {
  local pid launcher
  pid=$(crm_rabbit_pid)
  launcher=$(cat "$CRM_STATE/rabbitmq/launcher.pid" 2>/dev/null || true)
  # SIGTERM makes the Erlang VM shut the node down cleanly.
  if crm_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do crm_alive "$pid" || break; sleep 0.5; done
    crm_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  if crm_alive "$launcher"; then
    kill -TERM "$launcher" 2>/dev/null || true
  fi
  rm -f "$CRM_STATE/rabbitmq/rabbitmq.pid" "$CRM_STATE/rabbitmq/launcher.pid"
  # The node started its own epmd on our private port: find it by that port and stop it.
  local epmd
  for epmd in $(pgrep -x epmd || true); do
    if { tr '\0' '\n' < "/proc/$epmd/environ"; } 2>/dev/null | grep -qx "ERL_EPMD_PORT=$EPMD_PORT"; then
      kill "$epmd" 2>/dev/null || true
    fi
  done
}
