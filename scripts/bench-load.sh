#!/usr/bin/env bash
# Load benchmark of the intake path (issue: foundation, item 12). Loopback only, bounded.
#
# Builds the venue in release mode, serves it on 127.0.0.1 against a fresh database, drives
# it with wrk at 32 connections, and measures pgbench's TPS for the equivalent transactions
# in the same run (prepared statements, as the venue uses: `-M prepared`). The whole path runs twice: closed loop (saturation) and open loop at
# pgbench's rate (scripts/bench/intake.lua: latency from each request's scheduled time).
# Prints the figures; docs/benchmarks.md records them.
#
#   scripts/bench-load.sh            # 20 s per run
#   DURATION=60 scripts/bench-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
CONNS=${CONNS:-32}
PORT=${PORT:-18080}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=ishtar_bench
HERE=scripts/bench

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v pgbench >/dev/null || { echo "pgbench is needed (Debian: postgresql-client)"; exit 1; }

[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p ishtar
psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
DATABASE_URL="$PGURL/$DB" ./target/release/ishtar migrate >/dev/null 2>&1
psql "$PGURL/$DB" -qc "INSERT INTO settings (key, value) VALUES ('cap', '10000000')"

RUST_LOG=warn ISHTAR_BACKGROUND=false ISHTAR_RATE_LIMITS=off ISHTAR_BIND=127.0.0.1:$PORT DATABASE_URL="$PGURL/$DB" \
  ISHTAR_DB_POOL_SIZE=${POOL:-16} ISHTAR_HTTP_WORKERS=${WORKERS:-0} ISHTAR_ENCRYPTION_KEY=$(head -c 32 /dev/zero | base64) \
  ./target/release/ishtar serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

# Every measured run starts from the same state: dead rows vacuumed (the single `capacity`
# row is updated once per admission), statistics fresh, and no checkpoint owed.
settle() { psql "$PGURL/$DB" -qc "VACUUM ANALYZE" -c "CHECKPOINT"; }

echo "== machine: $(nproc) cores; $(date -u +%F)"
# Warm-up (not measured): fills the connection pool and prepares every statement.
LATDIR=$(mktemp -d) wrk -t"$CONNS" -c"$CONNS" -d2s -s "$HERE/intake.lua" "http://127.0.0.1:$PORT/" >/dev/null
settle
echo "== wrk: POST /api/intake/heart-file, $CONNS connections, ${DURATION}s"
wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$HERE/heart-file.lua" "http://127.0.0.1:$PORT/api/intake/heart-file" | tail -n 6
settle
echo "== pgbench: the heart-file transaction, $CONNS clients, ${DURATION}s"
pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -f "$HERE/heart-file.sql" "$PGURL/$DB" 2>/dev/null | grep -E "tps|latency"

settle
echo "== pgbench: the whole intake path's statements, $CONNS clients, ${DURATION}s (1 transaction = 4 requests)"
PG_PATH=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -f "$HERE/intake.sql" "$PGURL/$DB" 2>/dev/null | grep -E "tps|latency" | tee /dev/stderr | sed -n 's/^tps = \([0-9.]*\).*/\1/p')

export LATDIR=$(mktemp -d)
settle
echo "== wrk: the whole intake path (heart-file → agent → verify → persona), $CONNS connections, ${DURATION}s, closed loop"
wrk -t"$CONNS" -c"$CONNS" -d"${DURATION}s" -s "$HERE/intake.lua" "http://127.0.0.1:$PORT/" | sed -n '/^mode/,$p'

# Open loop at half of pgbench's rate (what the target asks: does the venue carry half of
# pgbench's figure with p99 under 20 ms?) and at pgbench's full rate; 4 requests per path.
for share in 0.5 1; do
  RATE=$(awk -v t="$PG_PATH" -v s="$share" 'BEGIN { printf "%d", t * 4 * s }')
  settle
  echo "== wrk: the whole intake path, $CONNS connections, ${DURATION}s, open loop at $share x pgbench's rate ($RATE requests/s)"
  RATE=$RATE THREADS=$CONNS wrk -t"$CONNS" -c"$CONNS" -d"${DURATION}s" -s "$HERE/intake.lua" "http://127.0.0.1:$PORT/" | sed -n '/^mode/,$p'
done
rmdir "$LATDIR"
