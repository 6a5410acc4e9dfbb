#!/usr/bin/env bash
# The suite's own benchmarks, run by `./crm bench` after the messaging benchmarks, against the
# PostgreSQL and RabbitMQ that ./crm bench started (PG_PORT, AMQP_PORT, PG_SUPERUSER_PASSWORD):
#
#   (c) the flagship flow: N ERP completions → crm-aftersales → crm-customer-service → N visit
#       tasks, as separate release processes: rate and p99 latency, and its ratio to (a); and,
#       after (d), the same flow in steady state — 500 completions a second for 20 s, into store
#       HX000002 — with p50/p99 from publishing to the visit task's commit;
#   (d) the gateway read path: an authenticated list of 20 visit tasks under load with wrk,
#       against pgbench running the same SQL (the page's count and select in one transaction)
#       at the same concurrency as the service's own database role: both rates and the ratio;
#   (f) a campaign over 200,000 vehicles (Benchmarks/campaign-bench.sh): preview and go-live
#       through crm-aftersales against the same SELECTs in psql;
#   (g) a conditional push of 100,000 coupons and (h) 20,000 coupon redemptions from 32
#       clients (Benchmarks/coupon-bench.sh): through crm-coupons against the same INSERT in
#       psql and the same UPDATE in pgbench -c 32;
#   (e) the lead import: a CSV of 100,000 leads (with 1% repeated mobiles) posted to
#       /api/v1/leads/imports through the gateway — parsed, validated, de-duplicated, written
#       in one transaction — against `psql \copy` of the same file into a bare table: rows
#       per second for both and the ratio.
#
# CRM_BENCH_ONLY=import runs (e) alone; CRM_BENCH_ONLY=flagship runs (c) alone (the services
# all start as for the whole run, so that (c) runs alongside the same idle processes);
# CRM_BENCH_ONLY=campaign runs (f) alone; CRM_BENCH_ONLY=coupons runs (g) and (h) alone.
set -euo pipefail
cd "$(dirname "$0")/.."
source Deploy/local/infra.sh

bin=.build/release
events=${CRM_BENCH_FLAGSHIP_EVENTS:-5000}
steady_rate=${CRM_BENCH_STEADY_RATE:-500}
steady_seconds=${CRM_BENCH_STEADY_SECONDS:-20}
only=${CRM_BENCH_ONLY:-}
connections=${CRM_BENCH_CONNECTIONS:-16}
seconds=${CRM_BENCH_SECONDS:-10}
raw_rate=${1:-}
work=$(mktemp -d /tmp/crm-suite-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do while crm_alive "$pid"; do sleep 0.1; done; done
  rm -rf "$work"
}
trap cleanup EXIT

# The run's token keys: the gateway signs with the private set, the services verify with the public one.
signing_keys=$("$bin/crm-gateway" keys generate)
public_keys=$(echo "$signing_keys" | "$bin/crm-gateway" keys public)
start() {  # name port role [VAR=value …]
  local name=$1 port=$2 role=$3; shift 3
  local keys=(CRM_JWT_PUBLIC_KEYS="$public_keys")
  [ "$name" = gateway ] && keys=(CRM_JWT_SIGNING_KEYS="$signing_keys")
  env "${keys[@]}" CRM_ENVIRONMENT=development CRM_HTTP_PORT="$port" \
      CRM_DATABASE_URL="postgres://$role:dealer-crm-dev@127.0.0.1:$PG_PORT/dealer_crm" \
      CRM_AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT/" \
      CRM_LOG_FORMAT=json CRM_LOG_LEVEL=warning "$@" \
      "$bin/crm-$name" > "$work/$name.log" 2>&1 &
  pids+=($!)
}
wait_ready() {
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "service on port $1 did not become ready" >&2; exit 1
}

as_port=$(crm_free_port); cs_port=$(crm_free_port); gw_port=$(crm_free_port)
leads_port=$(crm_free_port); coupons_port=$(crm_free_port); marketing_port=$(crm_free_port)
start aftersales "$as_port" crm_aftersales
start customer-service "$cs_port" crm_customer_service
start leads "$leads_port" crm_leads CRM_LOG_LEVEL=info
start coupons "$coupons_port" crm_coupons
start marketing "$marketing_port" crm_marketing CRM_COUPONS_URL="http://127.0.0.1:$coupons_port" CRM_AFTERSALES_URL="http://127.0.0.1:$as_port"
wait_ready "$as_port"; wait_ready "$cs_port"; wait_ready "$leads_port"; wait_ready "$coupons_port"; wait_ready "$marketing_port"
start gateway "$gw_port" crm_identity CRM_SEED_DEMO=1 \
  CRM_AFTERSALES_URL="http://127.0.0.1:$as_port" CRM_CUSTOMER_SERVICE_URL="http://127.0.0.1:$cs_port" \
  CRM_LEADS_URL="http://127.0.0.1:$leads_port" CRM_COUPONS_URL="http://127.0.0.1:$coupons_port" \
  CRM_MARKETING_URL="http://127.0.0.1:$marketing_port"
wait_ready "$gw_port"
gateway="http://127.0.0.1:$gw_port"
source Benchmarks/pg_statements.sh
cpu_groups() {  # the processes whose CPU the benches split: this script (the bench's side), the services, the servers
  echo "bench=$$" "crm-aftersales=${pids[0]}" "crm-customer-service=${pids[1]}" "crm-coupons=${pids[3]}" "crm-marketing=${pids[4]}" "crm-gateway=${pids[5]}" \
    "postgresql=$(head -1 "$CRM_STATE/postgres/postmaster.pid")" "rabbitmq=$(crm_rabbit_pid)"
}
token=
for _ in $(seq 1 100); do
  token=$(curl -sS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"cs.supervisor.1","password":"dealer-demo"}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin).get("accessToken", ""))' 2>/dev/null || true)
  [ -n "$token" ] && break
  sleep 0.2
done
[ -n "$token" ] || { echo "cs.supervisor.1 cannot log in" >&2; exit 1; }

# (c) in steady state, after (d) so that (d) reads the database as it always has.
steady_state() {
  [ "$steady_seconds" != 0 ] || return 0
  echo
  "$bin/crm-bench" --steady HX000002 --rate "$steady_rate" --seconds "$steady_seconds"
}

# CRM_BENCH_ONLY=campaign runs (f) alone; CRM_BENCH_ONLY=coupons (g) and (h).
if [ "$only" = campaign ]; then source Benchmarks/campaign-bench.sh; exit 0; fi
if [ "$only" = coupons ]; then source Benchmarks/coupon-bench.sh; exit 0; fi
if [ "$only" = marketing ]; then source Benchmarks/marketing-bench.sh; exit 0; fi

# CRM_BENCH_ONLY=import runs (e) alone, for tuning the import.
if [ "$only" != import ]; then
echo
python3 Benchmarks/cpu_split.py snapshot "$work/cpu.json" $(cpu_groups)
pg_statements reset
"$bin/crm-bench" --flagship HX000001 --events "$events" | tee "$work/flagship.txt"
python3 Benchmarks/cpu_split.py report "$work/cpu.json" "$events" event $(cpu_groups)
pg_statements report "$events" event
flagship_rate=$(awk '/^flagship-rate/ {print $2}' "$work/flagship.txt")
if [ -n "$raw_rate" ]; then
  python3 -c "print('ratio c/a: %.2f' % ($flagship_rate / $raw_rate))"
fi
if [ "$only" = flagship ]; then steady_state; exit 0; fi

# (d) the read path: the service's own SQL for a store-wide page of 20, as cs.supervisor.1 runs it.
store=$(PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -tAX \
  -c "SELECT id FROM identity.store WHERE code = 'HX000001'")
url="$gateway/api/v1/customer-service/visit-tasks?pageSize=20"
curl -fsS -H "Authorization: Bearer $token" "$url" > "$work/page.json"
python3 -c "import json; page = json.load(open('$work/page.json')); assert len(page['items']) == 20, page" \
  || { echo "the list does not return 20 tasks" >&2; exit 1; }
from=" FROM customer_service.visit_task t LEFT JOIN customer_service.directory_user u ON u.id = t.assignee_id WHERE true AND t.store_id = '$store'"
cat > "$work/page.sql" <<SQL
BEGIN;
SELECT count(*)::int $from;
SELECT t.id, t.store_id, t.order_type, t.order_no, t.customer_name, t.customer_mobile, t.plate, t.vin,
       t.sender_name, t.sender_mobile, t.business_type, t.brand, t.series, t.model, t.staff_name, t.order_at,
       t.state, t.assignee_id, u.display_name, t.assigned_at, t.visited_at, t.last_result, t.attempts, t.created_at
  $from ORDER BY t.order_at DESC, t.id LIMIT 20 OFFSET 0;
COMMIT;
SQL
echo
echo "(d) gateway read path: GET /api/v1/customer-service/visit-tasks?pageSize=20 as cs.supervisor.1, $connections connections, ${seconds} s"
wrk -t 2 -c "$connections" -d "${seconds}s" --latency -H "Authorization: Bearer $token" "$url" > "$work/wrk.txt"
grep -E "Requests/sec|50%|99%|Non-2xx" "$work/wrk.txt" | sed 's/^/    wrk: /'
! grep -q "Non-2xx" "$work/wrk.txt" || { echo "the gateway answered errors under load" >&2; exit 1; }
PGPASSWORD=dealer-crm-dev pgbench -h 127.0.0.1 -p "$PG_PORT" -U crm_customer_service -n -M extended \
  -c "$connections" -j 2 -T "$seconds" -f "$work/page.sql" dealer_crm > "$work/pgbench.txt" 2>&1
grep -E "^tps|latency average" "$work/pgbench.txt" | sed 's/^/    pgbench: /'
http_rate=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
sql_rate=$(awk '/^tps/ {print $3; exit}' "$work/pgbench.txt")
python3 -c "print('gateway %.0f requests/s, pgbench %.0f transactions/s, ratio gateway/pgbench: %.2f' % ($http_rate, $sql_rate, $http_rate / $sql_rate))"
steady_state
source Benchmarks/campaign-bench.sh
source Benchmarks/coupon-bench.sh
source Benchmarks/marketing-bench.sh
fi

# (e) the lead import.
rows=${CRM_BENCH_IMPORT_ROWS:-100000}
python3 - "$work/leads.csv" "$rows" <<'PY'
import random, sys
path, rows = sys.argv[1], int(sys.argv[2])
sources = ["汽车之家", "易车", "懂车帝", "官网", "电话"]
cities = ["武汉市", "襄阳市", "黄冈市", "宜昌市", "荆州市"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("客户姓名,手机号码,数据来源,省份,城市,品牌,车系,车型,级别,备注\r\n")
    base = random.randrange(10_000_000, 80_000_000)
    for i in range(rows):
        n = i if i % 100 else i - 1  # every hundredth row repeats the mobile before it
        f.write(f"客户{i},138{base + n:08d},{sources[i % 5]},湖北省,{cities[i % 5]},凯迪拉克,XT5,2019款 28T 豪华型,{'HABC'[i % 4]},\r\n")
PY
manager=$(curl -sS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"sales.manager.1","password":"dealer-demo"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')
echo
echo "(e) lead import: $rows CSV rows through the gateway, against psql \\copy of the same file"
import_seconds=$(curl -sS -o "$work/import.json" -w '%{time_total}' -X POST "$gateway/api/v1/leads/imports" \
  -H "Authorization: Bearer $manager" -H 'content-type: text/csv' --data-binary @"$work/leads.csv")
python3 -c "import json; r = json.load(open('$work/import.json')); print('    import: %d rows: %d created, %d duplicates, %d rejected' % (r['rows'], r['created'], r['duplicates'], r['rejected']))"
grep -o '"checked":"[^"]*"\|"read":"[^"]*"\|"written":"[^"]*"\|"announced":"[^"]*"' "$work/leads.log" | tr '\n' ' ' | sed 's/^/    phases in crm-leads: /'; echo
PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qX \
  -c "CREATE TABLE public.bench_lead_copy (name text, mobile text, source text, province text, city text, brand text, series text, model text, level text, note text)"
copy_start=$(date +%s.%N)
PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qX \
  -c "\\copy public.bench_lead_copy FROM '$work/leads.csv' WITH (FORMAT csv, HEADER true)"
copy_end=$(date +%s.%N)
PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qX -c "DROP TABLE public.bench_lead_copy"
python3 -c "
rows, imported, copied = $rows, $import_seconds, $copy_end - $copy_start
print('    import %.2f s = %.0f rows/s; psql \\\\copy %.2f s = %.0f rows/s; ratio import/copy: %.2f' % (imported, rows / imported, copied, rows / copied, copied / imported))"
