#!/usr/bin/env bash
# The matchmaker end to end (issue 10). Loopback only, bounded.
#
# Run A (CLI): seed N daters through the store's bulk writes (`ishtar seed`), time the first
#   `ishtar beat` (every profile embedded in it) with its peak RSS, seed 1 % more, time the
#   next beat. Each beat prints its stage timings.
# Run B (server): a fresh database seeded with N, the venue serving on 127.0.0.1, and a beat
#   triggered through POST /admin/actions/beat while wrk measures /health (closed loop, 2
#   connections) and the intake path (open loop, RATE requests/s) for the beat's duration.
# References measured in the same run: pgbench's TPC-B TPS and the fp32 FMA peak
# (matcher-bench --peak). docs/benchmarks.md records the figures.
#
#   scripts/bench-beat.sh                 # N=100000
#   N=20000 scripts/bench-beat.sh
#   SKIP_BUILD=1 scripts/bench-beat.sh    # use the release binaries already built
#   HEALTH_CONNS=0 scripts/bench-beat.sh  # run B without the closed-loop /health load
#   SKIP_A=1 scripts/bench-beat.sh        # run B only
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
PORT=${PORT:-18081}
RATE=${RATE:-200}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=ishtar_bench_beat
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/ishtar
KEY=$(head -c 32 /dev/zero | base64)
export RUST_LOG=warn ISHTAR_ENCRYPTION_KEY=$KEY ISHTAR_RATE_LIMITS=off ISHTAR_BACKGROUND=false

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p ishtar -p ishtar-matcher --bin ishtar --bin matcher-bench

fresh() {
  psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  DATABASE_URL="$PGURL/$DB" $BIN migrate >/dev/null
}
seed() { # n seed prefix
  local t0=$(date +%s.%N)
  DATABASE_URL="$PGURL/$DB" $BIN seed --personas "$1" --seed "$2" --prefix "$3" >/dev/null
  printf 'seeded %s personas in %.1f s\n' "$1" "$(echo "$(date +%s.%N) - $t0" | bc)"
  psql "$PGURL/$DB" -qc "VACUUM ANALYZE"
}
beat() {
  /usr/bin/time -f 'peak RSS %M KiB, wall %e s, user %U s, sys %S s' \
    env DATABASE_URL="$PGURL/$DB" $BIN beat
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +'%F %T')"
echo "== references"
$TARGET/release/matcher-bench --peak 2>&1 | grep -i 'peak' || true
psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS ishtar_bench_pgbench WITH (FORCE)" -c "CREATE DATABASE ishtar_bench_pgbench"
pgbench -q -i -s 10 "$PGURL/ishtar_bench_pgbench" >/dev/null 2>&1
pgbench -n -c 2 -j 2 -T 10 "$PGURL/ishtar_bench_pgbench" 2>/dev/null | grep -E '^tps'
psql "$PGURL/postgres" -qc "DROP DATABASE ishtar_bench_pgbench WITH (FORCE)"

if [ -z "${SKIP_A:-}" ]; then
  echo "== run A: CLI, N=$N"
  fresh
  seed "$N" 1 "seed-"
  echo "-- first beat (every profile embedded)"
  beat
  NEW=$(( N / 100 ))
  seed "$NEW" 2 "new-"
  echo "-- beat after $NEW new personas (1 %)"
  beat
fi

echo "== run B: server, N=$N, /health and the intake path measured during the beat"
fresh
seed "$N" 3 "srv-"
psql "$PGURL/$DB" -qc "INSERT INTO settings (key, value) VALUES ('cap', '10000000') ON CONFLICT (key) DO UPDATE SET value = excluded.value"
ISHTAR_ADMIN_TOKEN=bench-operator-token-0123456789abcdef ISHTAR_BIND=127.0.0.1:$PORT DATABASE_URL="$PGURL/$DB" \
  $BIN serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
DUR=${BEAT_WINDOW:-30}
export LATDIR=$(mktemp -d)
HEALTH_CONNS=${HEALTH_CONNS:-2}
if [ "$HEALTH_CONNS" -gt 0 ]; then
  wrk -t1 -c"$HEALTH_CONNS" -d"${DUR}s" --latency "http://127.0.0.1:$PORT/health" > "$LATDIR/health.txt" &
  HW=$!
else
  echo "(not measured: HEALTH_CONNS=0)" > "$LATDIR/health.txt"; HW=
fi
RATE=$RATE THREADS=4 wrk -t4 -c4 -d"${DUR}s" -s scripts/bench/intake.lua "http://127.0.0.1:$PORT/" > "$LATDIR/intake.txt" &
IW=$!
sleep 1
t0=$(date +%s.%N)
curl -s -X POST -H "authorization: Bearer bench-operator-token-0123456789abcdef" "http://127.0.0.1:$PORT/admin/actions/beat"
printf '\nbeat through the API: %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
wait $HW $IW 2>/dev/null || true
echo "-- /health during the beat (wrk, closed loop, $HEALTH_CONNS connections, ${DUR}s window)"
grep -A6 'Latency Distribution' "$LATDIR/health.txt" || cat "$LATDIR/health.txt"
grep -E 'Requests/sec|Non-2xx' "$LATDIR/health.txt" || true
echo "-- the intake path during the beat (open loop, $RATE requests/s)"
sed -n '/^mode/,$p' "$LATDIR/intake.txt"
psql "$PGURL/$DB" -Atc "SELECT 'recorded: eligible=' || eligible || ' embedded=' || embedded || ' created=' || created || ' semantic=' || semantic || ' stages=' || stages::text FROM beats ORDER BY started_at DESC LIMIT 1"
rm -rf "$LATDIR"
