#!/usr/bin/env bash
# Where Weft's RSS peaks under the peer benchmark's load, and what it is made
# of (docs/benchmarks.md, "Issue 14: peak RSS"). Starts `weft serve` on a
# fresh data directory (pinned to CPU 0 with GOMAXPROCS=1 unless PIN=0), drives
# the bench workflow with wrk (pinned to CPU 1) like bench/peers.sh, samples
# /proc/PID/status every 200 ms, and 15 s into each step saves a heap profile,
# runtime.MemStats and /proc/PID/smaps through --debug-addr.
#
# Usage: bash bench/rss.sh   Knobs: PIN (1), CONCURRENCY ("1 16 64"),
#   DURATION (20s), WARMUP (5s), WEFT (a weft binary; default: built here),
#   OUT (directory for the samples; default a temporary one, printed).
# Extra environment for weft (GOGC, GOMEMLIMIT, ...) passes through.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pin="${PIN:-1}"; concs="${CONCURRENCY:-1 16 64}"; dur="${DURATION:-20s}"; warm="${WARMUP:-5s}"
out="${OUT:-$(mktemp -d)}"; mkdir -p "$out/data"
port=18480; dport=18481; url="http://127.0.0.1:$port/hooks/bench"
bin="${WEFT:-}"
if [ -z "$bin" ]; then bin="$out/weft"; (cd "$repo" && go build -o "$bin" ./cmd/weft); fi
cat >"$out/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body   = '{"customer":"c1","text":"hello world","amount":42}'
wrk.headers["Content-Type"] = "application/json"
done = function(s, lat)
  io.write(string.format("reqs=%d rps=%.1f p99_ms=%.2f errors=%d\n", s.requests, s.requests / (s.duration / 1e6),
    lat:percentile(99) / 1000, s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout))
end
LUA
engine=(); load=()
if [ "$pin" = 1 ]; then engine=(env GOMAXPROCS=1 taskset -c 0); load=(taskset -c 1); fi
"${engine[@]}" "$bin" serve --addr "127.0.0.1:$port" --data "$out/data" --workflows "$repo/bench" \
  --debug-addr "127.0.0.1:$dport" --log-level warn >"$out/serve.log" 2>&1 &
pid=$!
sampler=""
cleanup() { [ -n "$sampler" ] && kill "$sampler" 2>/dev/null; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null -m 2 -H 'Content-Type: application/json' -d '{"customer":"c1","text":"x","amount":1}' "$url" && break; sleep 0.2; done
( while kill -0 "$pid" 2>/dev/null; do
    echo "$(date +%s.%N | cut -c1-14) $(awk '/^(VmHWM|VmRSS|RssAnon|RssFile)/ {printf "%s %d ", $1, $2/1024}' "/proc/$pid/status" 2>/dev/null)"
    sleep 0.2
  done ) >"$out/rss.txt" &
sampler=$!
echo "# bench/rss.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, pin=$pin, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# after start-up: $(awk '/^(VmRSS|VmHWM)/ {printf "%s %d MB ", $1, $2/1024}' "/proc/$pid/status")"
"${load[@]}" wrk -t2 -c8 -d"$warm" --timeout 10s -s "$out/post.lua" "$url" >/dev/null
for c in $concs; do
  t=2; [ "$c" -lt 2 ] && t=1
  ( sleep 15
    curl -s "http://127.0.0.1:$dport/debug/pprof/heap" >"$out/heap-c$c.pb"
    curl -s "http://127.0.0.1:$dport/debug/pprof/heap?debug=1" | sed -n '/^# runtime.MemStats/,$p' >"$out/memstats-c$c.txt"
    cat "/proc/$pid/smaps" >"$out/smaps-c$c.txt" ) &
  snap=$!
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  res=$("${load[@]}" wrk -t"$t" -c"$c" -d"$dur" --timeout 10s -s "$out/post.lua" "$url" | tail -1)
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  wait "$snap"
  reqs=$(sed -n 's/^reqs=\([0-9]*\).*/\1/p' <<<"$res")
  echo "c=$c $res cpu_us_per_req=$(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / (reqs > 0 ? reqs : 1) ))" \
    "$(awk '/^(VmRSS|VmHWM)/ {sub(":", "", $1); printf "%s=%dMB ", $1, $2/1024}' "/proc/$pid/status")" \
    "heap_inuse=$(awk '/HeapInuse/ {printf "%dMB", $4/1048576}' "$out/memstats-c$c.txt")" \
    "next_gc=$(awk '/NextGC/ {printf "%dMB", $4/1048576}' "$out/memstats-c$c.txt")"
done
peak=$(sort -k5 -n "$out/rss.txt" | tail -1)
echo "# peak VmRSS $(awk '{print $5}' <<<"$peak") MB at +$(awk -v t0="$(head -1 "$out/rss.txt" | cut -d' ' -f1)" '{printf "%.1f", $1 - t0}' <<<"$peak") s after the first sample; samples and profiles in $out"
