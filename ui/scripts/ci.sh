#!/usr/bin/env bash
# The UI's share of CI: unit tests, the committed bundle matches a fresh
# build of ui/, and the browser tests against a real `weft serve`.
set -euo pipefail
ui="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ui"
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
bash scripts/check-bundle.sh   # npm ci, build, compare with the committed web/dist
npx vitest run
SCREENSHOTS="$(mktemp -d)" E2E_SKIP_BUILD=1 bash scripts/e2e.sh
