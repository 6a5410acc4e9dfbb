#!/usr/bin/env bash
# (f) a solicitation campaign over 200,000 vehicles (issue 13), run by suite-bench.sh with its
# environment (bin, work, PG_PORT, PG_SUPERUSER_PASSWORD, gateway, start, wait_ready, pids):
#
# - 200,000 vehicle files of store HX000001 with 300,000 repair orders over three years;
# - a campaign of three customer classes and two brands, written as as.director.1;
# - the preview (count + first page of 20) timed through crm-aftersales, against psql running
#   the same two SELECTs;
# - publish, then go-live: a crm-aftersales of its own on a clock a day ahead (so that the
#   suite's other crm-aftersales, on the real clock, leaves the campaign alone), moved to 00:00
#   of the go-live day; timed from moving the clock until the campaign is live (its scheduler
#   looks every 50 ms), against psql running the same SELECT into a temporary table.
#
# Prints both times and the ratios psql/service (1.0 = as fast as the bare SQL).
set -euo pipefail
vehicles=${CRM_BENCH_CAMPAIGN_VEHICLES:-200000}
psql_admin() { PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d dealer_crm -qtAX "$@"; }
store=$(psql_admin -c "SELECT id FROM identity.store WHERE code = 'HX000001'")
echo
echo "(f) campaign over $vehicles vehicles: preview and go-live through crm-aftersales, against the same SELECTs in psql"
psql_admin <<SQL
INSERT INTO aftersales.vehicle (id, store_id, vin, plate, brand, series, model, owner_name, owner_mobile, owner_gender,
    owner_province, owner_city, purchase_date, registration_date, insurance_expiry, source, created_at)
SELECT gen_random_uuid(), '$store', 'BENCH' || lpad(i::text, 12, '0'), '鄂A' || lpad((i % 100000)::text, 5, '0'),
       (ARRAY['别克', '雪佛兰', '凯迪拉克', '奥迪'])[i % 4 + 1], '君越', '2026款', '车主' || i, '138' || lpad(i::text, 8, '0'),
       CASE i % 2 WHEN 0 THEN 'male' ELSE 'female' END, '湖北省', '武汉市', date '2018-01-01' + i % 2500,
       date '2018-01-04' + i % 2500, date '2026-01-01' + i % 700, 'crm', now() - make_interval(secs => i)
FROM generate_series(1, $vehicles) AS i;
INSERT INTO aftersales.repair_order (id, store_id, store_code, ro_no, vin, plate, customer_name, customer_mobile, sender_name,
    sender_mobile, business_type, service_advisor, mileage_km, amount, state, opened_at, completed_at, source)
SELECT gen_random_uuid(), '$store', 'HX000001', 'BENCH' || i || '-' || k, 'BENCH' || lpad(i::text, 12, '0'), '鄂A', '车主',
       '13800000000', '车主', '13800000000', 'paidMaintenance', (ARRAY['王建国', '孙伟', '何斌'])[i % 3 + 1], 10000 * k,
       500 + i % 3000, 'completed', now() - make_interval(days => (i * 7 + k * 131) % 1100),
       now() - make_interval(days => (i * 7 + k * 131) % 1100), 'erp'
FROM generate_series(1, $vehicles) AS i, generate_series(1, 3) AS k WHERE k <= i % 3 + (i % 2);
ANALYZE aftersales.vehicle;
ANALYZE aftersales.repair_order;
SQL

# A crm-aftersales of its own, a day ahead: the campaign goes live two days from now, which the
# suite's crm-aftersales on the real clock does not reach during the run.
ahead=$(python3 -c "import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
echo "$ahead" > "$work/clock"
campaign_port=$(crm_free_port)
start aftersales "$campaign_port" crm_aftersales CRM_FIXED_TIME="$ahead" CRM_CLOCK_FILE="$work/clock" CRM_SCHEDULER_INTERVAL_MS=50 CRM_LOG_LEVEL=info
wait_ready "$campaign_port"
service="http://127.0.0.1:$campaign_port"
director=$(curl -sS -X POST "$gateway/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"as.director.1","password":"dealer-demo"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')
conditions='{"classes": ["loyal", "favoured", "ordinary"], "brands": ["别克", "凯迪拉克"]}'
id=$(curl -fsS -X POST "$service/api/v1/after-sales/campaigns" -H "Authorization: Bearer $director" -H 'content-type: application/json' \
  -d "{\"kind\": \"regular_maintenance\", \"name\": \"定保招揽（基准）\", \"startsOn\": \"2020-01-01\", \"endsOn\": \"2099-12-31\", \"contactMethods\": [\"phone\"], \"conditions\": $conditions}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

# The preview: three runs, the best one.
best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
preview_times=()
for _ in 1 2 3; do
  preview_times+=("$(curl -fsS -o "$work/preview.json" -w '%{time_total}' -H "Authorization: Bearer $director" "$service/api/v1/after-sales/campaigns/$id/preview?pageSize=20")")
done
targeted=$(python3 -c "import json; print(json.load(open('$work/preview.json'))['total'])")
# The same statements as VehicleClassQueries.from + CampaignTargets (the store's calendar at the
# service's clock, the default churn rule of 12 months).
from=$(cat <<SQL
 FROM aftersales.vehicle v
 CROSS JOIN (
     SELECT p.now,
            (date_trunc('year', p.local_now) - interval '1 year') AT TIME ZONE p.tz AS last_year_start,
            date_trunc('year', p.local_now) AT TIME ZONE p.tz AS this_year_start,
            (date_trunc('day', p.local_now) - make_interval(months => p.churn_months)) AT TIME ZONE p.tz AS churn_boundary
     FROM (SELECT '$ahead'::timestamptz AS now, '$ahead'::timestamptz AT TIME ZONE 'Asia/Shanghai' AS local_now,
                  'Asia/Shanghai'::text AS tz, 12 AS churn_months) p
 ) cal
 CROSS JOIN LATERAL (
     SELECT count(*) FILTER (WHERE r.opened_at >= cal.last_year_start AND r.opened_at < cal.this_year_start)::int AS visits_last_year,
            count(*) FILTER (WHERE r.opened_at < cal.last_year_start)::int AS visits_before_last_year,
            max(r.opened_at) AS last_visit_at
     FROM aftersales.repair_order r WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now
 ) h
 CROSS JOIN LATERAL (
     SELECT CASE WHEN h.last_visit_at IS NULL THEN 'potential' WHEN h.last_visit_at < cal.churn_boundary THEN 'lost'
                 WHEN h.visits_last_year >= 2 THEN 'loyal' WHEN h.visits_last_year = 1 THEN 'favoured'
                 WHEN h.visits_before_last_year > 0 THEN 'ordinary' ELSE 'potential' END AS customer_class
 ) c
 LEFT JOIN LATERAL (
     SELECT r.service_advisor FROM aftersales.repair_order r
     WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now AND btrim(r.service_advisor) <> ''
     ORDER BY r.opened_at DESC, r.created_at DESC, r.id DESC LIMIT 1
 ) sa ON true
 LEFT JOIN LATERAL (
     SELECT r.mileage_km FROM aftersales.repair_order r
     WHERE r.store_id = v.store_id AND r.vin = v.vin AND r.opened_at <= cal.now AND r.mileage_km > 0
     ORDER BY r.opened_at DESC, r.created_at DESC, r.id DESC LIMIT 1
 ) km ON true
 WHERE v.store_id = '$store' AND c.customer_class = ANY('{loyal,favoured,ordinary}') AND v.brand = ANY('{别克,凯迪拉克}')
SQL
)
psql_times=()
for _ in 1 2 3; do
  started=$(date +%s.%N)
  psql_admin -c "SELECT count(*) $from" -c "SELECT v.*, h.visits_last_year, h.last_visit_at, c.customer_class, sa.service_advisor, km.mileage_km $from ORDER BY v.created_at DESC, v.id LIMIT 20" > /dev/null
  psql_times+=("$(python3 -c "print($(date +%s.%N) - $started)")")
done
preview=$(best "${preview_times[@]}"); preview_sql=$(best "${psql_times[@]}")
python3 -c "print('    preview of %d cars: service %.3f s, psql %.3f s, ratio psql/service: %.2f' % ($targeted, $preview, $preview_sql, $preview_sql / $preview))"

# Publish and go-live.
published=$(curl -fsS -X POST "$service/api/v1/after-sales/campaigns/$id/publish" -H "Authorization: Bearer $director" -w ' %{time_total}' -o "$work/published.json")
goes_live=$(python3 -c "import json; print(json.load(open('$work/published.json'))['goesLiveAt'])")
echo "$goes_live" > "$work/clock"
started=$(date +%s.%N)
until python3 -c "import json, sys; sys.exit(json.load(open('$work/campaign.json'))['state'] != 'live')" 2>/dev/null; do
  sleep 0.05
  curl -fsS -o "$work/campaign.json" -H "Authorization: Bearer $director" "$service/api/v1/after-sales/campaigns/$id" || true
done
live=$(python3 -c "print($(date +%s.%N) - $started)")
tasks=$(psql_admin -c "SELECT count(*) FROM aftersales.campaign_task WHERE campaign_id = '$id'")
from_live=${from//$ahead/$goes_live}
started=$(date +%s.%N)
psql_admin -c "CREATE TEMP TABLE bench_targets AS SELECT v.id, v.vin, c.customer_class, COALESCE(v.service_advisor, sa.service_advisor), row_number() OVER (ORDER BY v.vin, v.id) $from_live" > /dev/null
live_sql=$(python3 -c "print($(date +%s.%N) - $started)")
took=$(grep -o '"took":"[^"]*"' "$work/aftersales.log" | tail -1 || true)
echo "    crm-aftersales' own account of the go-live transaction: ${took:-?}"
python3 -c "print('    publish %.3f s; go-live (%d tasks): service %.3f s from the clock reaching 00:00, psql SELECT %.3f s, ratio psql/service: %.2f' % ($published, $tasks, $live, $live_sql, $live_sql / $live))"
