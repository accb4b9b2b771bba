#!/usr/bin/env bash
# Does partitioning by time pay? Against a database kept by
#   migportal-bench scale --accounts 5000000 --applications 10000000 --keep
# (its URL is printed at the end): bash crates/bench/sql/partitions.sh URL
# A: an application's history read by its owner from `application_events`
#    as it is and from a copy partitioned by month (pgbench: the sample's
#    look-up, then the portal's statement);
# B: a day of done outbox jobs purged by DELETE + VACUUM, or by dropping
#    the day's partition. The px_ tables it makes are dropped at the end.
set -euo pipefail
url=${1:?the kept database URL}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
# The copies go however the run ends (a failed step leaves no 44 M-row copy).
trap 'psql "$url" -q -c "DROP TABLE IF EXISTS px_events, px_sample, px_jobs, px_jobs_by_day"; rm -rf "$tmp"' EXIT
psql "$url" -q -f "$here/partitions.sql"
n=$(psql "$url" -Atc "SELECT count(*) FROM px_sample")
for table in application_events px_events; do
    cat > "$tmp/$table.sql" <<SQL
\set k random(1, $n)
SELECT id AS app, account_id AS owner FROM px_sample WHERE n = :k \gset
SELECT e.at, e.actor_id, e.from_status, e.to_status, e.note FROM $table e JOIN applications a ON a.id = e.application_id WHERE e.application_id = :app AND a.account_id = :owner ORDER BY e.at, e.id;
SQL
    echo "== history read from $table"
    pgbench -n -c 2 -j 2 -T 10 -M prepared -f "$tmp/$table.sql" "$url" \
        | grep -E "latency average|tps"
done
# The plan's first lines: the partitioned read probes every month's index.
psql "$url" -c "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) SELECT e.at FROM px_events e WHERE e.application_id = (SELECT id FROM px_sample WHERE n = 1) ORDER BY e.at" > "$tmp/plan"
sed -n 1,8p "$tmp/plan"
