#!/usr/bin/env bash
# Fails when the committed web/dist differs from a fresh build of ui/, so
# the bundle the Go binary embeds always matches the sources. CI runs it.
set -euo pipefail
ui="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$ui/.." && pwd)"
cd "$ui"
# .ci/run installs node_modules in the background at its start and passes the
# SHA-256 of the package-lock.json it installed from; any other caller, or a
# lockfile changed since, gets a fresh npm ci.
lock="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -n "${WEFT_UI_INSTALLED_LOCK:-}" ] && [ "$WEFT_UI_INSTALLED_LOCK" = "$lock" ] && [ -d node_modules ]; then
  echo "node_modules: installed by CI from this package-lock.json"
else
  npm ci --no-audit --no-fund >/dev/null
fi
npm run build >/dev/null
cd "$repo"
# Untracked files under web/dist count too (a new chunk name).
changes="$(git status --porcelain -- web/dist)"
if [ -n "$changes" ]; then
  echo "web/dist is stale: rebuild it with (cd ui && npm run build) and commit it." >&2
  echo "$changes" >&2
  exit 1
fi
echo "web/dist matches a fresh build of ui/."
