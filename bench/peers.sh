#!/usr/bin/env bash
# Weft next to n8n and Node-RED on this machine, with the shared peer harness
# (see docs/benchmarks.md). Three passes:
#   1. pinned: each engine on CPU 0, wrk on CPU 1; Weft with GOMAXPROCS=1 (per-core figures)
#   2. unpinned: Weft on both cores
#   3. async ingest: Weft answering 202 once the request is stored (pinned, GOMAXPROCS=1)
# Weft stores every execution (SQLite, synchronous=FULL, default flags).
# Usage: bash bench/peers.sh            (PEERS=path/to/peers.sh to use another copy)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
peers="${PEERS:-$repo/../shared/peers/peers.sh}"
[ -f "$peers" ] || { echo "peer harness not found at $peers (set PEERS=…)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$repo" && go build -o "$tmp/weft" ./cmd/weft)
serve() { echo "$tmp/weft serve --addr 127.0.0.1:8080 --data $(mktemp -d -p "$tmp") --workflows $repo/bench"; }

echo "== pass 1: pinned, per core"
ENGINES="${ENGINES:-n8n nodered ours}" OURS_CMD="env GOMAXPROCS=1 $(serve)" \
  OURS_URL="http://127.0.0.1:8080/hooks/bench" bash "$peers"

echo "== pass 2: Weft unpinned (both cores)"
PIN=0 ENGINES=ours OURS_CMD="$(serve)" OURS_URL="http://127.0.0.1:8080/hooks/bench" bash "$peers"

echo "== pass 3: Weft async ingest (202 once stored), pinned, GOMAXPROCS=1"
ENGINES=ours OURS_CMD="env GOMAXPROCS=1 $(serve)" OURS_URL="http://127.0.0.1:8080/hooks/bench-async" bash "$peers"
