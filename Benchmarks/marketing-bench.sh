#!/usr/bin/env bash
# (i) 1,000 event registrations at once (issue 15's "(h)"), run by suite-bench.sh with its
# environment (bin, work, PG_PORT, PG_SUPERUSER_PASSWORD, gateway, marketing_port, pids):
#
# - as marketing.1, through the gateway: an event of HX000001 with a capacity of N (default
#   1,000, CRM_BENCH_REGISTRATIONS), put online;
# - N distinct mobiles register on its public page at the same moment, one connection each,
#   straight to crm-marketing (crm-bench --registrations): each registration takes a place with
#   one UPDATE of the event's row (registered < capacity), inserts its row and appends
#   marketing.registration.created.v1 to the outbox, in one transaction — so the event's row is
#   the one lock every registration waits for;
# - against pgbench running the registration's INSERT, N rows of other mobiles into a second
#   event, with -c 100 -t N/100 (the most connections the bench's PostgreSQL leaves free;
#   three runs, the median).
#
# Exactly N registrations must be created. Ratio service/pgbench (1.0 = as fast as the bare INSERT).
set -euo pipefail
registrations=${CRM_BENCH_REGISTRATIONS:-1000}
registrations=$(( registrations / 100 * 100 ))
psql_admin() { PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qtAX -v ON_ERROR_STOP=1 "$@"; }
echo
echo "(i) $registrations event registrations at once on the public page, straight to crm-marketing, against pgbench -c 100 running the same INSERT"
manager=$(curl -fsS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"marketing.1","password":"dealer-demo"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')
event() {  # name → a pending event of HX000001 with room for everyone, a year from now
  curl -fsS -X POST "$gateway/api/v1/marketing/events" -H "Authorization: Bearer $manager" -H 'content-type: application/json' \
    -d "{\"name\": \"$1\", \"startsAt\": \"$(date -d '+1 year' +%Y-%m-%d) 09:00\", \"endsAt\": \"$(date -d '+1 year' +%Y-%m-%d) 18:00\",
         \"content\": \"基准测试\", \"capacity\": $registrations}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
service_event=$(event "基准活动")
curl -fsS -o /dev/null -X POST "$gateway/api/v1/marketing/events/$service_event/online" -H "Authorization: Bearer $manager"
sql_event=$(event "基准活动（SQL）")
store=$(psql_admin -c "SELECT id FROM identity.store WHERE code = 'HX000001'")

sql_rates=()
for run in 1 2 3; do
  cat > "$work/register.sql" <<SQL
\\set i :client_id * 100000 + :n + $run * 10000000
INSERT INTO marketing.event_registration (id, event_id, store_id, mobile, name, channel_code, registered_at)
VALUES (gen_random_uuid(), '$sql_event', '$store', '13' || lpad(:i::text, 9, '0'), '基准客户', NULL, now())
ON CONFLICT (event_id, mobile) DO NOTHING RETURNING id;
\\set n :n + 1
SQL
  psql_admin -c "CHECKPOINT"
  PGPASSWORD=dealer-crm-dev pgbench -h 127.0.0.1 -p "$PG_PORT" -U crm_marketing -n -M extended -c 100 -j 2 \
    -t $(( registrations / 100 )) -D n=0 -f "$work/register.sql" dealer_crm > "$work/pgbench-register.txt" 2>&1 \
    || { cat "$work/pgbench-register.txt" >&2; exit 1; }
  sql_rates+=("$(awk '/^tps/ {print $3; exit}' "$work/pgbench-register.txt")")
  echo "    pgbench run $run: $(grep -E '^tps' "$work/pgbench-register.txt"), $(grep -E 'latency average' "$work/pgbench-register.txt")"
done
inserted=$(psql_admin -c "SELECT count(*) FROM marketing.event_registration WHERE event_id = '$sql_event'")
[ "$inserted" = $(( 3 * registrations )) ] || { echo "pgbench inserted $inserted registrations, not $(( 3 * registrations ))" >&2; exit 1; }

python3 -c "
for i in range($registrations): print('1380000%04d' % i)" > "$work/mobiles.txt"
psql_admin -c "CHECKPOINT"
python3 Benchmarks/cpu_split.py snapshot "$work/cpu.json" $(cpu_groups)
pg_statements reset
"$bin/crm-bench" --registrations "http://127.0.0.1:$marketing_port/api/v1/public/marketing/events/$service_event/registrations" \
  --mobiles "$work/mobiles.txt" > "$work/register.txt"
python3 Benchmarks/cpu_split.py report "$work/cpu.json" "$registrations" registration $(cpu_groups)
pg_statements report "$registrations" registration | head -n 7
grep -v '^registration' "$work/register.txt" || true
created=$(psql_admin -c "SELECT count(*) FROM marketing.event_registration WHERE event_id = '$service_event'")
[ "$created" = "$registrations" ] || { echo "crm-marketing registered $created, not $registrations" >&2; exit 1; }
http_rate=$(awk '/^registration-rate/ {print $2}' "$work/register.txt")
sql_rate=$(python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "${sql_rates[@]}")
python3 -c "print('    crm-marketing %.0f registrations/s (%d at once), pgbench %.0f INSERTs/s (-c 100, median of 3); ratio service/pgbench: %.2f' % ($http_rate, $registrations, $sql_rate, $http_rate / $sql_rate))"
