#!/usr/bin/env bash
# Scale-out on one PostgreSQL: 1, 2 and 4 `weft serve` processes share one
# database and run an I/O-bound workflow (webhook, 202 once stored, then one
# http.request to a local fake that answers after 50 ms). For each process
# count: wrk posts to every process for DURATION (CONC connections spread
# over the processes), the script waits until every accepted execution
# finished, and reads from the database:
#   executions/s  accepted executions / (last finish - first create)
#   p99 ms        99th percentile of finish - create (queueing included)
#   takeover s    with 2+ processes, a second run kills process 1 (SIGKILL)
#                 halfway through: the time from the kill until the last
#                 execution it was running finished elsewhere (lease expiry
#                 + claim + the step)
# Usage: bash bench/scaleout.sh
# Knobs: PROCS="1 2 4", DURATION=10s, CONC=32, LEASE=5s,
#   WEFT_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
# Needs wrk, psql and python3 (the fake). Each run uses a fresh schema, dropped
# at the end; every process it starts is stopped by its PID.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
procs="${PROCS:-1 2 4}"
duration="${DURATION:-10s}"
conc="${CONC:-32}"
lease="${LEASE:-5s}"
pgurl="${WEFT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
fakeport="${FAKE_PORT:-18090}"
baseport="${BASE_PORT:-18100}"
for tool in wrk psql python3; do command -v "$tool" >/dev/null || { echo "scaleout: $tool is required" >&2; exit 1; }; done
tmp="$(mktemp -d)"
pids=()
schemas=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for s in "${schemas[@]}"; do psql -q "$pgurl" -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
(cd "$repo" && go build -o "$tmp/weft" ./cmd/weft)

# The fake downstream service: answers every request after 50 ms.
python3 - "$fakeport" >"$tmp/fake.log" 2>&1 <<'EOF' &
import sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(0.05)
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
pids+=($!)

mkdir -p "$tmp/wf"
cat >"$tmp/wf/scaleout.yaml" <<EOF
name: scaleout
on:
  webhook: { path: scaleout, method: POST }
steps:
  - id: call
    uses: http.request
    with: { method: POST, url: "http://127.0.0.1:$fakeport/work", json: { n: "{{ trigger.body.n }}" } }
EOF
cat >"$tmp/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"n":1}'
wrk.headers["Content-Type"] = "application/json"
EOF

# sql SCHEMA QUERY (psql takes the schema from PGOPTIONS; weft from the URL)
sql() { PGOPTIONS="-c search_path=$1" psql -qtAX "$pgurl" -c "$2"; }
wait_ready() {
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "scaleout: weft on port $1 did not become ready" >&2; return 1
}
secs() { case "$1" in *s) echo "${1%s}" ;; *) echo "$1" ;; esac; }

# one_run N KILL: N processes under load; with KILL=1, process 1 is killed
# halfway through. Prints "total rate p99 takeover".
one_run() {
  local n=$1 kill1=$2
  local schema="weft_scaleout_$(date +%s)_${n}_$kill1"
  sql public "CREATE SCHEMA $schema" >/dev/null
  schemas+=("$schema")
  local sep="?"; case "$pgurl" in *\?*) sep="&" ;; esac
  local db="$pgurl${sep}search_path=$schema"
  local ports=() run=() wrks=() i port pid
  for i in $(seq 1 "$n"); do
    port=$((baseport + i))
    WEFT_ADMIN_TOKEN="scaleout-$RANDOM$RANDOM" WEFT_ALLOW_PRIVATE_NET=127.0.0.0/8 \
      "$tmp/weft" serve --addr "127.0.0.1:$port" --db "$db" --data "$(mktemp -d -p "$tmp")" \
      --workflows "$tmp/wf" --lease "$lease" --seed false >"$tmp/weft-$schema-$i.log" 2>&1 &
    pid=$!; pids+=("$pid"); run+=("$pid"); ports+=("$port")
    wait_ready "$port"
  done
  local per=$(( conc / n )); [ "$per" -lt 1 ] && per=1
  for port in "${ports[@]}"; do
    wrk -t1 -c"$per" -d"$duration" -s "$tmp/post.lua" "http://127.0.0.1:$port/hooks/scaleout" >"$tmp/wrk-$schema-$port.txt" 2>&1 &
    wrks+=($!)
  done
  local killed="" killat=""
  if [ "$kill1" = 1 ]; then
    sleep "$(awk -v d="$(secs "$duration")" 'BEGIN{print d/2}')"
    killed="${run[0]}"
    killat=$(date +%s.%N)
    kill -9 "$killed"; wait "$killed" 2>/dev/null || true
    # What the dead process was running: its rows still carry its lease.
    sql "$schema" "SELECT id FROM executions WHERE status = 'running' AND lease_owner LIKE '%-$killed-%'" >"$tmp/orphans-$schema.txt"
  fi
  for pid in "${wrks[@]}"; do wait "$pid" || true; done
  for _ in $(seq 1 600); do
    [ "$(sql "$schema" "SELECT count(*) FROM executions WHERE status IN ('queued','running','waiting')")" = 0 ] && break
    sleep 0.5
  done
  local total rate p99 takeover="-"
  read -r total rate p99 <<<"$(sql "$schema" "SELECT count(*),
      round((count(*) / GREATEST(EXTRACT(EPOCH FROM max(finished_at) - min(created_at)), 0.001))::numeric, 0),
      round((1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - created_at)))::numeric, 1)
      FROM executions WHERE status = 'succeeded'" | tr '|' ' ')"
  if [ -n "$killed" ]; then
    if [ -s "$tmp/orphans-$schema.txt" ]; then
      local ids; ids=$(sed "s/.*/'&'/" "$tmp/orphans-$schema.txt" | paste -sd,)
      takeover=$(sql "$schema" "SELECT round((EXTRACT(EPOCH FROM max(finished_at)) - $killat)::numeric, 2) FROM executions WHERE id IN ($ids)")
    else
      takeover="(nothing in flight)"
    fi
  fi
  local failed; failed=$(sql "$schema" "SELECT coalesce(string_agg(status || ' ' || coalesce(error_code, '') || ': ' || n, ', '), '') FROM (SELECT status, error_code, count(*) AS n FROM executions WHERE status <> 'succeeded' GROUP BY 1, 2) x")
  [ -z "$failed" ] || echo "scaleout: with $n processes, not succeeded: $failed" >&2
  for pid in "${run[@]}"; do [ "$pid" = "$killed" ] || kill "$pid" 2>/dev/null || true; done
  for pid in "${run[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "$total $rate $p99 $takeover"
}

printf '%s\n' "| processes | accepted | executions/s | p99 ms | takeover s (process 1 killed) |" "| --- | --- | --- | --- | --- |"
for n in $procs; do
  read -r total rate p99 _ <<<"$(one_run "$n" 0)"
  takeover="-"
  if [ "$n" -ge 2 ]; then
    read -r _ _ _ takeover <<<"$(one_run "$n" 1)"
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$n" "$total" "$rate" "$p99" "$takeover"
done
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), duration=$duration per step, conc=$conc, lease=$lease"
