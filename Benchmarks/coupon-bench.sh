#!/usr/bin/env bash
# (g) a conditional push of 100,000 coupons and (h) coupon redemptions over 32 connections
# (issue 14's "(f)" and "(g)"), run by suite-bench.sh with its environment (bin, work, PG_PORT,
# PG_SUPERUSER_PASSWORD, CRM_STATE, gateway, coupons_port, pids):
#
# - 120,000 customers of store HX000001 written straight into Coupons' read model
#   (coupons.customer_prospect), 100,000 of them at levels H, A or B;
# - (g) as finance.1, straight to crm-coupons: a definition, a conditional push task for levels
#   H, A, B, and its publish — one transaction that locks the definition, selects the 100,000
#   customers, inserts 100,000 coupons with random codes, upserts the holdings, bumps the
#   counter and appends 100,000 coupons.coupon.issued.v1 events to the outbox — timed, against
#   psql running `INSERT … SELECT generate_series` of 100,000 rows of the same table, same
#   columns, codes computed from the row number (run first);
# - (h) as cashier.1, straight to crm-coupons: N of the pushed codes (default 20,000), each
#   redeemed once through POST /api/v1/coupons/redemptions by 32 concurrent clients (crm-bench
#   --coupon-redemptions), against pgbench running RedemptionStore.redeem's UPDATE as crm_coupons,
#   with -c 32 and the code a pgbench variable over N distinct codes of the psql rows (run first).
#
# A queue bound to coupons.coupon.* acknowledges the events as their consumers will (crm-bench
# --coupon-sink): nobody in the suite binds them yet, and unroutable events would be retried by
# crm-coupons' relay throughout. Ratios baseline/service (1.0 = as fast as the bare SQL).
set -euo pipefail
customers=${CRM_BENCH_COUPON_CUSTOMERS:-100000}
redemptions=${CRM_BENCH_COUPON_REDEMPTIONS:-20000}
clients=${CRM_BENCH_COUPON_CLIENTS:-32}
# Every client redeems as many codes: pgbench runs -t redemptions/clients per client.
redemptions=$(( redemptions / clients * clients ))
psql_admin() { PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qtAX "$@"; }
login() {
  curl -fsS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"dealer-demo\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])'
}
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }
seconds_since() { python3 -c "import sys, time; print(time.time() - float(sys.argv[1]))" "$1"; }
service="http://127.0.0.1:$coupons_port"
store=$(psql_admin -c "SELECT id FROM identity.store WHERE code = 'HX000001'")
group=$(psql_admin -c "SELECT group_id FROM identity.store WHERE code = 'HX000001'")
echo
echo "(g) coupon push and (h) coupon redemptions, straight to crm-coupons, against the same SQL in psql and pgbench"

# The stand-in consumer of Coupons' events.
"$bin/crm-bench" --coupon-sink > "$work/coupon-sink.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q consuming "$work/coupon-sink.log" && break; sleep 0.1; done
grep -q consuming "$work/coupon-sink.log" || { echo "the coupon event sink did not start" >&2; cat "$work/coupon-sink.log" >&2; exit 1; }

# crm-coupons learns the store and its users from the gateway's events.
for _ in $(seq 1 300); do
  [ "$(psql_admin -c "SELECT count(*) FROM coupons.directory_user u JOIN identity.app_user a ON a.id = u.id
                      WHERE a.username IN ('finance.1', 'cashier.1')")" = 2 ] && break
  sleep 0.1
done
cashier_id=$(psql_admin -c "SELECT id FROM identity.app_user WHERE username = 'cashier.1'")
cashier_name=$(psql_admin -c "SELECT display_name FROM coupons.directory_user WHERE id = '$cashier_id'")
finance_id=$(psql_admin -c "SELECT id FROM identity.app_user WHERE username = 'finance.1'")

# The customers: levels H, A, B for the first $customers, C for a fifth as many more.
extra=$(( customers / 5 ))
psql_admin <<SQL
INSERT INTO coupons.customer_prospect (prospect_id, store_id, name, mobile, source, level, brand, series, model, state,
    referrer_mobile, in_recycle_bin, changed_at)
SELECT gen_random_uuid(), '$store', '客户' || i, '139' || lpad(i::text, 8, '0'),
       (ARRAY['walk_in', 'referral', 'showroom_event', 'online_lead'])[i % 4 + 1],
       CASE WHEN i <= $customers THEN (ARRAY['H', 'A', 'B'])[i % 3 + 1] ELSE 'C' END,
       '凯迪拉克', 'XT5', '2026款 28T 豪华型', 'active', NULL, false, now() - make_interval(secs => i)
FROM generate_series(1, $customers + $extra) AS i;
ANALYZE coupons.customer_prospect;
SQL

finance=$(login finance.1)
cashier=$(login cashier.1)
curl -fsS -o "$work/definition.json" -X POST "$service/api/v1/coupons/definitions" -H "Authorization: Bearer $finance" \
  -H 'content-type: application/json' \
  -d '{"name": "保养抵用券（基准）", "kind": "cash", "faceValue": 100, "minimumSpend": 300, "quantity": 1000000,
       "perCustomerLimit": 1, "validity": "days_from_issue", "validDays": 30, "usableIn": "store", "description": "基准测试"}'
definition=$(json "$work/definition.json" 'd["id"]')
curl -fsS -o "$work/task.json" -X POST "$service/api/v1/coupons/tasks" -H "Authorization: Bearer $finance" \
  -H 'content-type: application/json' \
  -d "{\"kind\": \"conditional\", \"mode\": \"push\", \"definitionId\": \"$definition\", \"conditions\": {\"prospect\": {\"levels\": [\"H\", \"A\", \"B\"]}}}"
task=$(json "$work/task.json" 'd["id"]')
selected=$(curl -fsS -H "Authorization: Bearer $finance" "$service/api/v1/coupons/tasks/$task/preview" | python3 -c 'import json, sys; print(json.load(sys.stdin)["customers"])')
[ "$selected" = "$customers" ] || { echo "the conditions select $selected customers, not $customers" >&2; exit 1; }

# (g) the baseline first: the same columns, the same definition and task, codes from the row
# number (1 000… + i·A mod 9·10^13: distinct, scattered over the index like random ones, and
# computable by pgbench for (h)).
code_of() { echo "(1000000000000000 + ($1 * 55623058987007) % 90000000000000)"; }
psql_admin -c "CHECKPOINT"
started=$(date +%s.%N)
psql_admin <<SQL
INSERT INTO coupons.coupon (id, code, definition_id, task_id, store_id, group_id, usable_in, mobile, customer_name,
    effective_from, effective_until, last_day, state, issued_at, issued_by, referral_of)
SELECT gen_random_uuid(), $(code_of 'i::bigint')::text, '$definition', '$task', '$store', '$group', 'store',
       '139' || lpad(i::text, 8, '0'), '客户' || i, now() - interval '1 minute', now() + interval '30 days', current_date + 29,
       'unused', now(), '$finance_id', NULL
FROM generate_series(1, $customers) AS i;
SQL
insert_sql=$(seconds_since "$started")
# The psql rows are the task's coupons issued up to here; the service's come after.
baseline_at=$(psql_admin -c "SELECT max(issued_at) FROM coupons.coupon WHERE task_id = '$task'")

# (g) the service, with PostgreSQL logging each of its statements that takes 20 ms or more.
psql_admin -c "CHECKPOINT"
psql_admin -c "ALTER SYSTEM SET log_min_duration_statement = 20" -c "ALTER SYSTEM SET log_parameter_max_length = 0" -c "SELECT pg_reload_conf()" > /dev/null
log_from=$(stat -c %s "$CRM_STATE/logs/postgres.log")
sleep 0.2
push=$(curl -sS -o "$work/pushed.json" -w '%{http_code} %{time_total}' -X POST "$service/api/v1/coupons/tasks/$task/publish" \
  -H "Authorization: Bearer $finance")
committed=$(date +%s.%N)
psql_admin -c "ALTER SYSTEM RESET log_min_duration_statement" -c "ALTER SYSTEM RESET log_parameter_max_length" -c "SELECT pg_reload_conf()" > /dev/null
[ "${push%% *}" = 200 ] || { echo "publishing the push answered ${push%% *}:" >&2; cat "$work/pushed.json" >&2; exit 1; }
push_seconds=${push#* }
issued=$(json "$work/pushed.json" 'd["task"]["couponsIssued"]')
# Each logged statement with its duration and phase; a statement's text goes on over the lines
# that do not start a new log entry (with a timestamp).
tail -c +"$((log_from + 1))" "$CRM_STATE/logs/postgres.log" | python3 -c '
import re, sys
rows, current = [], None
for line in sys.stdin:
    if re.match(r"\d{4}-\d\d-\d\d ", line):
        m = re.search(r"duration: ([0-9.]+) ms\s+(parse|bind|execute|statement)[^:]*: (.*)", line)
        current = [float(m.group(1)), m.group(2), m.group(3)] if m else None
        if current: rows.append(current)
    elif current is not None and len(current[2]) < 200:
        current[2] += " " + line
for ms, phase, text in rows:
    print("      %8.0f ms  %-9s %s" % (ms, phase, " ".join(text.split())[:100]))
print("      %8.0f ms  in PostgreSQL (statements of 20 ms or more)" % sum(r[0] for r in rows))
' > "$work/push-statements.txt"
# How long the relay takes to hand the events to the broker (not part of the push's time).
for _ in $(seq 1 3000); do
  [ "$(psql_admin -c "SELECT count(*) FROM coupons.outbox WHERE published_at IS NULL AND event_type = 'coupons.coupon.issued.v1'")" = 0 ] && break
  sleep 0.2
done
relayed=$(seconds_since "$committed")
echo "    push: $issued coupons issued to $selected customers"
echo "    crm-coupons' statements in PostgreSQL during the publish:"
cat "$work/push-statements.txt"
python3 -c "print('    push %.2f s = %.0f coupons/s; psql INSERT … SELECT generate_series %.2f s = %.0f rows/s; ratio psql/service: %.2f' % ($push_seconds, $issued / $push_seconds, $insert_sql, $customers / $insert_sql, $insert_sql / $push_seconds))"
python3 -c "print('    (the relay then handed the %d events to the broker in %.1f s)' % ($issued, $relayed))"

# (h) The codes: N of the pushed coupons for the service; for pgbench, the codes of rows
# client_id + 1 + clients·n of the psql ones.
psql_admin -c "VACUUM ANALYZE coupons.coupon" -c "VACUUM ANALYZE coupons.outbox"
psql_admin -c "SELECT code FROM coupons.coupon WHERE task_id = '$task' AND issued_at > '$baseline_at' ORDER BY id LIMIT $redemptions" > "$work/codes.txt"
cat > "$work/redeem.sql" <<SQL
\\set i :client_id + 1 + $clients * :n
\\set code $(code_of ':i')
UPDATE coupons.coupon c SET state = 'used', used_at = now(), used_store_id = '$store',
    used_by = '$cashier_id', used_by_name = '$cashier_name', order_kind = 'repair_order',
    order_number = :i, order_amount = '500'::numeric
FROM coupons.coupon_definition d
WHERE c.code = :code AND d.id = c.definition_id
  AND c.state = 'unused'
  AND c.effective_from <= now() AND c.effective_until > now()
  AND (c.store_id = '$store' OR (c.usable_in = 'group' AND c.group_id = '$group'))
  AND (d.minimum_spend IS NULL OR d.minimum_spend <= '500'::numeric)
RETURNING c.id;
\\set n :n + 1
SQL
psql_admin -c "CHECKPOINT"
PGPASSWORD=dealer-crm-dev pgbench -h 127.0.0.1 -p "$PG_PORT" -U crm_coupons -n -M extended -c "$clients" -j 2 \
  -t $(( redemptions / clients )) -D n=0 -f "$work/redeem.sql" dealer_crm > "$work/pgbench-redeem.txt" 2>&1 \
  || { cat "$work/pgbench-redeem.txt" >&2; exit 1; }
used_sql=$(psql_admin -c "SELECT count(*) FROM coupons.coupon WHERE task_id = '$task' AND state = 'used' AND issued_at <= '$baseline_at'")
[ "$used_sql" = "$redemptions" ] || { echo "pgbench redeemed $used_sql coupons, not $redemptions" >&2; exit 1; }
psql_admin -c "CHECKPOINT"
"$bin/crm-bench" --coupon-redemptions "$service" --token "$cashier" --codes "$work/codes.txt" --clients "$clients" > "$work/redeem.txt"
sed -n '1,3p' "$work/redeem.txt" | grep -v '^coupon-' || true
used=$(psql_admin -c "SELECT count(*) FROM coupons.coupon WHERE task_id = '$task' AND state = 'used' AND issued_at > '$baseline_at'")
[ "$used" = "$redemptions" ] || { echo "crm-coupons redeemed $used coupons, not $redemptions" >&2; exit 1; }
grep -E "^tps|latency average" "$work/pgbench-redeem.txt" | sed 's/^/    pgbench: /'
http_rate=$(awk '/^coupon-redemption-rate/ {print $2}' "$work/redeem.txt")
sql_rate=$(awk '/^tps/ {print $3; exit}' "$work/pgbench-redeem.txt")
python3 -c "print('    redemptions: crm-coupons %.0f/s (%d clients over HTTP), pgbench %.0f/s (-c %d); ratio service/pgbench: %.2f' % ($http_rate, $clients, $sql_rate, $clients, $http_rate / $sql_rate))"
