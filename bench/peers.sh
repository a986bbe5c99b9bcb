#!/usr/bin/env bash
# Weft next to n8n and Node-RED on this machine, in one run, with the shared
# peer harness (see docs/benchmarks.md). Passes (PASSES="1 2 3 4 5" by default):
#   1. pinned, per core: n8n, Node-RED 4 and Weft (GOMAXPROCS=1), each engine
#      on CPU 0 and wrk on CPU 1
#   2. pinned, per core: Node-RED 5 on Node 24 (the harness's LATEST=1)
#   3. unpinned: Weft on SQLite on both cores
#   4. pinned async ingest: Weft answering 202 once the request is stored
#   5. unpinned: Weft on PostgreSQL (a fresh schema, dropped afterwards), for
#      the PostgreSQL/SQLite ratio against pass 3 of the same run
# Weft stores every execution with default durability (SQLite
# synchronous=FULL; PostgreSQL synchronous_commit as the server has it): a
# 2xx means the execution is on disk.
#
# Usage: bash bench/peers.sh
# Knobs: PEERS=path/to/peers.sh (the shared harness), PASSES, DURATION,
#   CONCURRENCY (passed to the harness), WEFT_BENCH_POSTGRES_URL (default
#   postgres://postgres@127.0.0.1:5432/test?sslmode=disable; pass 5 is
#   skipped when psql cannot reach it). Everything it starts is stopped on
#   exit; the harness's tables are also kept in $OUT (default a temporary
#   file whose name is printed at the end).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
peers="${PEERS:-$repo/../shared/peers/peers.sh}"
[ -f "$peers" ] || { echo "peer harness not found at $peers (set PEERS=…)" >&2; exit 1; }
passes="${PASSES:-1 2 3 4 5}"
pgurl="${WEFT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
tmp="$(mktemp -d)"
out="${OUT:-$(mktemp --suffix=.txt)}"
schema=""
cleanup() {
  if [ -n "$schema" ]; then psql -q "$pgurl" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
(cd "$repo" && go build -o "$tmp/weft" ./cmd/weft)
serve() { echo "$tmp/weft serve --addr 127.0.0.1:8080 --data $(mktemp -d -p "$tmp") --workflows $repo/bench $*"; }
hook="http://127.0.0.1:8080/hooks/bench"
has() { case " $passes " in *" $1 "*) return 0 ;; esac; return 1; }

{
  echo "# bench/peers.sh on $(hostname), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# weft $(cd "$repo" && git describe --always --dirty 2>/dev/null || echo unknown), $(go version | cut -d' ' -f3)"
} | tee "$out"

if has 1; then
  echo "== pass 1: pinned, per core: n8n, Node-RED 4, Weft (GOMAXPROCS=1)" | tee -a "$out"
  ENGINES="${ENGINES:-n8n nodered ours}" OURS_CMD="env GOMAXPROCS=1 $(serve)" OURS_URL="$hook" \
    bash "$peers" 2>&1 | tee -a "$out"
fi
if has 2; then
  echo "== pass 2: pinned, per core: Node-RED 5 on Node 24 (LATEST=1)" | tee -a "$out"
  LATEST=1 ENGINES=nodered bash "$peers" 2>&1 | tee -a "$out"
fi
if has 3; then
  echo "== pass 3: Weft on SQLite, unpinned (both cores)" | tee -a "$out"
  PIN=0 ENGINES=ours OURS_CMD="$(serve)" OURS_URL="$hook" bash "$peers" 2>&1 | tee -a "$out"
fi
if has 4; then
  echo "== pass 4: Weft async ingest (202 once stored), pinned, GOMAXPROCS=1" | tee -a "$out"
  ENGINES=ours OURS_CMD="env GOMAXPROCS=1 $(serve)" OURS_URL="http://127.0.0.1:8080/hooks/bench-async" \
    bash "$peers" 2>&1 | tee -a "$out"
fi
if has 5; then
  schema="weft_bench_$(date +%s)"
  if psql -q "$pgurl" -c "CREATE SCHEMA $schema" >/dev/null 2>&1; then
    sep="?"; case "$pgurl" in *\?*) sep="&" ;; esac
    echo "== pass 5: Weft on PostgreSQL, unpinned (compare with pass 3)" | tee -a "$out"
    PIN=0 ENGINES=ours OURS_CMD="$(serve --db "'$pgurl${sep}search_path=$schema'")" OURS_URL="$hook" \
      bash "$peers" 2>&1 | tee -a "$out"
  else
    schema=""
    echo "== pass 5 skipped: psql cannot reach $pgurl (set WEFT_BENCH_POSTGRES_URL)" | tee -a "$out"
  fi
fi
echo "# all tables above are also in $out"
