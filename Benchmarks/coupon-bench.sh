#!/usr/bin/env bash
# (g) a conditional push of 100,000 coupons and (h) coupon redemptions over 32 connections
# (issue 14's "(f)" and "(g)"), run by suite-bench.sh with its environment (bin, work, PG_PORT,
# PG_SUPERUSER_PASSWORD, CRM_STATE, gateway, coupons_port, pids):
#
# - 120,000 customers of store HX000001 written straight into Coupons' read model
#   (coupons.customer_prospect), 100,000 of them at levels H, A or B;
# - (g) as finance.1, straight to crm-coupons: a definition, a conditional push task for levels
#   H, A, B, and its publish — one transaction that locks the definition, selects the 100,000
#   customers, inserts 100,000 coupons with random codes, bumps the counter and appends
#   100,000 coupons.coupon.issued.v1 events to the outbox (200 CloudEvents batches) — timed, against
#   psql running `INSERT … SELECT generate_series` of 100,000 rows of the same table, same
#   columns, codes computed from the row number (just before each push). Three rounds, each
#   with a definition and task of its own (CRM_BENCH_COUPON_ROUNDS), waiting for the relay
#   after each push; the medians are compared (one run of either takes 2–8 s, and a busy
#   machine moves it by half);
# - (h) as cashier.1, straight to crm-coupons: N codes of the first push (default 20,000), each
#   redeemed once through POST /api/v1/coupons/redemptions by 32 concurrent clients (crm-bench
#   --coupon-redemptions), against pgbench running RedemptionStore.redeem's UPDATE for one code
#   (the service writes the redemptions that arrive together in one, RedemptionBatcher) as crm_coupons,
#   with -c 32 and the code a pgbench variable over N distinct codes of the psql rows. Three runs
#   of each, in turns (pgbench first in the first and third pair, crm-coupons in the second;
#   each run its own N codes), the medians.
#
# A queue bound to coupons.coupon.* acknowledges the events as their consumers will (crm-bench
# --coupon-sink): nobody in the suite binds them yet, and unroutable events would be retried by
# crm-coupons' relay throughout. Ratios baseline/service (1.0 = as fast as the bare SQL).
set -euo pipefail
customers=${CRM_BENCH_COUPON_CUSTOMERS:-100000}
redemptions=${CRM_BENCH_COUPON_REDEMPTIONS:-20000}
clients=${CRM_BENCH_COUPON_CLIENTS:-32}
rounds=${CRM_BENCH_COUPON_ROUNDS:-3}
# Every client redeems as many codes: pgbench runs -t redemptions/clients per client.
redemptions=$(( redemptions / clients * clients ))
psql_admin() { PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qtAX -v ON_ERROR_STOP=1 "$@"; }
login() {
  curl -fsS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"dealer-demo\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])'
}
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
seconds_since() { python3 -c "import sys, time; print(time.time() - float(sys.argv[1]))" "$1"; }
service="http://127.0.0.1:$coupons_port"
store=$(psql_admin -c "SELECT id FROM identity.store WHERE code = 'HX000001'")
group=$(psql_admin -c "SELECT group_id FROM identity.store WHERE code = 'HX000001'")
echo
echo "(g) a conditional push of $customers coupons, straight to crm-coupons as finance.1, against INSERT … SELECT generate_series in psql"

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
# psql's rows: codes from the row number (10^15 + i·A mod 9·10^12, A ≈ 0.618 · 9·10^12 and prime to
# it: distinct, scattered over the index as random ones are, computable by pgbench for (h), and
# i·A fits in 64 bits up to 1.6 million rows); round r numbers its rows (r - 1)·customers + 1 …
# r·customers and gives them to the same mobiles.
code_of() { echo "(1000000000000000 + ($1 * 5562305898701) % 9000000000000)"; }
push_times=(); sql_times=(); relay_times=()
for round in $(seq 1 "$rounds"); do
  curl -fsS -o "$work/definition.json" -X POST "$service/api/v1/coupons/definitions" -H "Authorization: Bearer $finance" \
    -H 'content-type: application/json' \
    -d "{\"name\": \"保养抵用券（基准 $round）\", \"kind\": \"cash\", \"faceValue\": 100, \"minimumSpend\": 300, \"quantity\": 1000000,
         \"perCustomerLimit\": 1, \"validity\": \"days_from_issue\", \"validDays\": 30, \"usableIn\": \"store\", \"description\": \"基准测试\"}"
  definition=$(json "$work/definition.json" 'd["id"]')
  curl -fsS -o "$work/task.json" -X POST "$service/api/v1/coupons/tasks" -H "Authorization: Bearer $finance" \
    -H 'content-type: application/json' \
    -d "{\"kind\": \"conditional\", \"mode\": \"push\", \"definitionId\": \"$definition\", \"conditions\": {\"prospect\": {\"levels\": [\"H\", \"A\", \"B\"]}}}"
  task=$(json "$work/task.json" 'd["id"]')
  selected=$(curl -fsS -H "Authorization: Bearer $finance" "$service/api/v1/coupons/tasks/$task/preview" | python3 -c 'import json, sys; print(json.load(sys.stdin)["customers"])')
  [ "$selected" = "$customers" ] || { echo "the conditions select $selected customers, not $customers" >&2; exit 1; }

  # The baseline: the same columns, this round's definition and task.
  psql_admin -c "CHECKPOINT"
  started=$(date +%s.%N)
  psql_admin <<SQL
INSERT INTO coupons.coupon (id, code, definition_id, task_id, store_id, group_id, usable_in, mobile, customer_name,
    effective_from, effective_until, last_day, state, issued_at, issued_by, referral_of)
SELECT gen_random_uuid(), $(code_of 'i::bigint')::text, '$definition', '$task', '$store', '$group', 'store',
       '139' || lpad(((i - 1) % $customers + 1)::text, 8, '0'), '客户' || i, now() - interval '1 minute', now() + interval '30 days',
       current_date + 29, 'unused', now(), '$finance_id', NULL
FROM generate_series(($round - 1) * $customers + 1, $round * $customers) AS i;
SQL
  sql_times+=("$(seconds_since "$started")")
  # The psql rows are the task's coupons issued up to here; the service's come after.
  baseline_at=$(psql_admin -c "SELECT max(issued_at) FROM coupons.coupon WHERE task_id = '$task'")
  if [ "$round" = 1 ]; then first_task=$task; first_baseline_at=$baseline_at; fi

  # The service, with PostgreSQL logging every statement while the publish runs: the publish's
  # connection then shows how long each statement took in PostgreSQL and how long crm-coupons
  # spent before sending it (a statement starts at its log time minus its duration).
  psql_admin -c "CHECKPOINT"
  psql_admin -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "ALTER SYSTEM SET log_parameter_max_length = 0" -c "SELECT pg_reload_conf()" > /dev/null
  sleep 0.2
  log_from=$(stat -c %s "$CRM_STATE/logs/postgres.log")
  push=$(curl -sS -o "$work/pushed.json" -w '%{http_code} %{time_total}' -X POST "$service/api/v1/coupons/tasks/$task/publish" \
    -H "Authorization: Bearer $finance")
  committed=$(date +%s.%N)
  psql_admin -c "ALTER SYSTEM RESET log_min_duration_statement" -c "ALTER SYSTEM RESET log_parameter_max_length" -c "SELECT pg_reload_conf()" > /dev/null
  [ "${push%% *}" = 200 ] || { echo "publishing the push answered ${push%% *}:" >&2; cat "$work/pushed.json" >&2; exit 1; }
  push_seconds=${push#* }
  push_times+=("$push_seconds")
  issued=$(json "$work/pushed.json" 'd["task"]["couponsIssued"]')
  [ "$issued" = "$customers" ] || { echo "the push issued $issued coupons, not $customers" >&2; exit 1; }
  tail -c +"$((log_from + 1))" "$CRM_STATE/logs/postgres.log" > "$work/push-statements.log"
python3 - "$work/push-statements.log" "$push_seconds" > "$work/push-statements-$round.txt" <<'PY'
import datetime, re, sys
log, took = sys.argv[1], float(sys.argv[2])
entries, current = [], None
for line in open(log, errors="replace"):
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (\w+) \[(\d+)\] LOG:  duration: ([0-9.]+) ms\s+(\w+)[^:]*: (.*)", line)
    if m:
        end = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()  # the same zone throughout
        current = {"end": end, "pid": m.group(3), "ms": float(m.group(4)), "phase": m.group(5), "text": m.group(6)}
        entries.append(current)
    elif re.match(r"\d{4}-\d\d-\d\d ", line):
        current = None
    elif current is not None and len(current["text"]) < 200:
        current["text"] += " " + line
# The publish's connection: the one that inserted the coupons.
# Its transaction: from the last BEGIN before that INSERT to the first COMMIT after it.
insert = next(e for e in entries if "INSERT INTO coupons.coupon (" in " ".join(e["text"].split()))
mine = [e for e in entries if e["pid"] == insert["pid"]]
at = mine.index(insert)
first = max(i for i, e in enumerate(mine[:at]) if e["text"].startswith("BEGIN"))
while first > 0 and mine[first - 1]["text"].startswith("BEGIN"):
    first -= 1  # its parse and bind
last = at + next(i for i, e in enumerate(mine[at:]) if e["text"].startswith("COMMIT"))
while last + 1 < len(mine) and mine[last + 1]["text"].startswith("COMMIT"):
    last += 1  # its bind and execute
mine = mine[first:last + 1]
in_pg = in_service = 0.0
previous = mine[0]["end"] - mine[0]["ms"] / 1000
print("       PostgreSQL  crm-coupons before it  (the publish's connection; lines of 10 ms or more)")
for e in mine:
    start = e["end"] - e["ms"] / 1000
    gap = max(0.0, start - previous) * 1000
    in_pg += e["ms"]; in_service += gap
    previous = e["end"]
    if e["ms"] >= 10 or gap >= 10:
        print("      %7.0f ms  %7.0f ms   %-8s %s" % (e["ms"], gap, e["phase"], " ".join(e["text"].split())[:80]))
outside = took * 1000 - in_pg - in_service
print("      %7.0f ms in PostgreSQL, %.0f ms in crm-coupons between the statements, %.0f ms before BEGIN and after COMMIT"
      % (in_pg, in_service, max(0.0, outside)))
PY
  # How long the relay takes to hand the events to the broker (not part of the push's time).
  for _ in $(seq 1 3000); do
    [ "$(psql_admin -c "SELECT count(*) FROM coupons.outbox WHERE published_at IS NULL AND event_type = 'coupons.coupon.issued.v1'")" = 0 ] && break
    sleep 0.2
  done
  relay_times+=("$(seconds_since "$committed")")
  python3 -c "print('    round %d: push %.2f s, psql %.2f s, ratio psql/service %.2f; the relay then handed the events to the broker in %.1f s' % ($round, ${push_times[-1]}, ${sql_times[-1]}, ${sql_times[-1]} / ${push_times[-1]}, ${relay_times[-1]}))"
done
push_median=$(median "${push_times[@]}"); sql_median=$(median "${sql_times[@]}")
# The timeline of the round nearest the median.
round=$(python3 -c "import sys; t = [float(x) for x in sys.argv[2:]]; print(1 + min(range(len(t)), key=lambda i: abs(t[i] - float(sys.argv[1]))))" "$push_median" "${push_times[@]}")
echo "    where the time of round $round's publish went:"
cat "$work/push-statements-$round.txt"
python3 -c "print('    median of %d: push %.2f s = %.0f coupons/s; psql INSERT … SELECT generate_series %.2f s = %.0f rows/s; ratio psql/service: %.2f' % ($rounds, $push_median, $customers / $push_median, $sql_median, $customers / $sql_median, $sql_median / $push_median))"
task=$first_task; baseline_at=$first_baseline_at

echo
echo "(h) $redemptions coupon redemptions from $clients HTTP clients, straight to crm-coupons as cashier.1, against pgbench -c $clients running the same UPDATE"
# The codes: run k redeems, in crm-coupons, the first push's coupons (k - 1)·N + 1 … k·N; in
# pgbench, psql's rows (k - 1)·N + 1 … k·N, client c the rows c + 1 + clients·n.
[ $(( 3 * redemptions )) -le $(( rounds * customers )) ] || { echo "(h) needs 3 × $redemptions rows from psql; raise CRM_BENCH_COUPON_CUSTOMERS" >&2; exit 1; }
psql_admin -c "VACUUM ANALYZE coupons.coupon" -c "VACUUM ANALYZE coupons.outbox"
psql_admin -c "SELECT code FROM coupons.coupon WHERE task_id = '$task' AND issued_at > '$baseline_at' ORDER BY id LIMIT $(( 3 * redemptions ))" > "$work/codes-all.txt"
[ "$(wc -l < "$work/codes-all.txt")" = $(( 3 * redemptions )) ] || { echo "(h) needs 3 × $redemptions coupons of the first push; raise CRM_BENCH_COUPON_CUSTOMERS" >&2; exit 1; }
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
# Three runs of each, taken in turns (pgbench, crm-coupons; crm-coupons, pgbench; pgbench,
# crm-coupons): the shared machine's speed drifts by a third within minutes, and turns give both
# sides the same drift.
sql_rates=(); http_rates=()
pgbench_run() {  # run
  local run=$1
  psql_admin -c "CHECKPOINT"
  [ "$run" = 1 ] && pg_statements reset
  PGPASSWORD=dealer-crm-dev pgbench -h 127.0.0.1 -p "$PG_PORT" -U crm_coupons -n -M extended -c "$clients" -j 2 \
    -t $(( redemptions / clients )) -D n=$(( (run - 1) * redemptions / clients )) -f "$work/redeem.sql" dealer_crm \
    > "$work/pgbench-redeem.txt" 2>&1 || { cat "$work/pgbench-redeem.txt" >&2; exit 1; }
  used_sql=$(psql_admin -c "SELECT count(*) FROM coupons.coupon WHERE state = 'used' AND order_number NOT LIKE 'BENCH%'")
  [ "$used_sql" = $(( run * redemptions )) ] || { echo "pgbench redeemed $used_sql coupons, not $(( run * redemptions ))" >&2; exit 1; }
  sql_rates+=("$(awk '/^tps/ {print $3; exit}' "$work/pgbench-redeem.txt")")
  echo "    run $run, pgbench: $(grep -E '^tps' "$work/pgbench-redeem.txt"), $(grep -E 'latency average' "$work/pgbench-redeem.txt")"
  if [ "$run" = 1 ]; then pg_statements report "$redemptions" redemption | grep -v CHECKPOINT | head -n 4; fi
}
service_run() {  # run
  local run=$1
  psql_admin -c "CHECKPOINT"
  sed -n "$(( (run - 1) * redemptions + 1 )),$(( run * redemptions ))p" "$work/codes-all.txt" > "$work/codes.txt"
  python3 Benchmarks/cpu_split.py snapshot "$work/cpu.json" $(cpu_groups)
  [ "$run" = 1 ] && pg_statements reset
  "$bin/crm-bench" --coupon-redemptions "$service" --token "$cashier" --codes "$work/codes.txt" --clients "$clients" > "$work/redeem.txt"
  echo "    run $run, crm-coupons: $(grep -v '^coupon-' "$work/redeem.txt" | sed 's/^ *//')"
  python3 Benchmarks/cpu_split.py report "$work/cpu.json" "$redemptions" redemption $(cpu_groups)
  if [ "$run" = 1 ]; then pg_statements report "$redemptions" redemption; fi
  used=$(psql_admin -c "SELECT count(*) FROM coupons.coupon WHERE state = 'used' AND order_number LIKE 'BENCH%'")
  [ "$used" = $(( run * redemptions )) ] || { echo "crm-coupons redeemed $used coupons, not $(( run * redemptions ))" >&2; exit 1; }
  http_rates+=("$(awk '/^coupon-redemption-rate/ {print $2}' "$work/redeem.txt")")
}
pgbench_run 1; service_run 1
service_run 2; pgbench_run 2
pgbench_run 3; service_run 3
http_rate=$(median "${http_rates[@]}")
sql_rate=$(median "${sql_rates[@]}")
python3 -c "print('    medians of 3: crm-coupons %.0f redemptions/s (%d HTTP clients), pgbench %.0f/s (-c %d); ratio service/pgbench: %.2f' % ($http_rate, $clients, $sql_rate, $clients, $http_rate / $sql_rate))"
