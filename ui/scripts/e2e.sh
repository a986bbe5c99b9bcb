#!/usr/bin/env bash
# End-to-end tests of the console against a real `weft serve`.
# Builds the UI bundle and the Go binary, starts the server on a free port
# with a fresh data directory, runs ui/e2e/*.test.mjs with node's test runner
# in Debian's Chromium, and stops the server by its PID.
# Screenshots of the main screens land in docs/screenshots/.
set -euo pipefail
ui="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ui/.." && pwd)"
cd "$ui"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "e2e: $chromium is missing; install it with: apt-get install -y chromium" >&2
  exit 1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
if [ "${E2E_SKIP_BUILD:-}" != 1 ]; then npm run build >/dev/null; fi

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" && wait "$pid" 2>/dev/null || true
  fi
  if [ "${E2E_KEEP:-}" = 1 ]; then echo "e2e: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

weft="${WEFT_BIN:-}" # a prebuilt binary, if given; it must embed the current web/dist
if [ -z "$weft" ]; then
  weft="$tmp/weft"
  (cd "$repo" && go build -o "$weft" ./cmd/weft)
fi
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
port="$(free_port)"
# The ticket-triage test's fake CRM, model and Slack listen on this port
# (e2e/fakes.mjs); the workflow reads their addresses and tokens from the
# environment, as examples/ticket-triage.yaml does.
fake_port="$(free_port)"
export E2E_FAKE_PORT="$fake_port"
export CRM_URL="http://127.0.0.1:$fake_port/crm" CRM_TOKEN="crm-e2e-token"
export SLACK_URL="http://127.0.0.1:$fake_port/slack" SLACK_TOKEN="xoxb-e2e-token"
export WEFT_ENV_ALLOW="CRM_URL,CRM_TOKEN,AI_MODEL,SLACK_URL,SLACK_TOKEN,SLACK_CHANNEL"
export WEFT_ADMIN_TOKEN="e2e-$(node -e "console.log(require('crypto').randomBytes(12).toString('hex'))")"
# The retry test's flaky service and the triage fakes listen on loopback,
# which the SSRF guard refuses by default: allow exactly that address.
# --public-url is set (to the default address) so on.webhook.register works.
WEFT_PUBLIC_URL="http://127.0.0.1:$port" WEFT_ALLOW_PRIVATE_NET=127.0.0.1/32 "$weft" serve --addr "127.0.0.1:$port" --data "$tmp/data" >"$tmp/server.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "e2e: weft serve exited early:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

export WEFT_URL="http://127.0.0.1:$port" WEFT_TOKEN="$WEFT_ADMIN_TOKEN" CHROMIUM="$chromium" WEFT_BIN="$weft"
export SCREENSHOTS="${SCREENSHOTS:-$repo/docs/screenshots}"
status=0
run() { # concurrency, files...
  local n=$1; shift
  node --test --test-concurrency="$n" --test-reporter=spec ${E2E_GREP:+--test-name-pattern="$E2E_GREP"} "$@" || status=$?
}
# Files run E2E_CONCURRENCY at a time (2 by default) against the one server:
# each makes workflows, credentials and paths of its own names. A file that
# changes or counts the whole server's state (removes every workflow, counts
# unhealthy triggers) says so on a line "// Runs alone (scripts/e2e.sh)" and
# runs first, by itself.
# E2E_FILES picks test files (e.g. "e2e/pages-*.test.mjs"); all of e2e/ by default.
if [ -n "${E2E_FILES:-}" ]; then
  # shellcheck disable=SC2086 # E2E_FILES is a list of paths or globs on purpose
  run "${E2E_CONCURRENCY:-1}" $E2E_FILES
else
  mapfile -t alone < <(grep -l '^// Runs alone (scripts/e2e.sh)' e2e/*.test.mjs)
  mapfile -t together < <(grep -L '^// Runs alone (scripts/e2e.sh)' e2e/*.test.mjs)
  if [ "${#alone[@]}" -gt 0 ]; then run 1 "${alone[@]}"; fi
  run "${E2E_CONCURRENCY:-2}" "${together[@]}"
fi
if [ "$status" != 0 ]; then
  echo "---- weft serve log (last 60 lines) ----" >&2
  tail -n 60 "$tmp/server.log" >&2
fi
exit "$status"
