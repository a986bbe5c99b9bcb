#!/bin/sh
# Fetches the large real OpenAPI documents the importer's tests and
# benchmarks read (Stripe's from the stripe-mock Go module, GitHub's from npm
# @octokit/openapi) into .cache/openapi/ at the repository root, which git
# ignores. Tests skip those cases when the files are absent.
#
#   connectors/apps/openapi/fetch-docs.sh
set -eu
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
dir="$root/.cache/openapi"
mkdir -p "$dir"

stripe_dir=$(go mod download -json github.com/stripe/stripe-mock@v0.203.0 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
cp "$stripe_dir/embedded/openapi/spec3.json" "$dir/stripe.json"
chmod 644 "$dir/stripe.json"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @octokit/openapi@23.0.2 >/dev/null)
tar -xzf "$tmp"/octokit-openapi-*.tgz -C "$tmp"
cp "$tmp/package/generated/api.github.com.json" "$dir/github.json"
ls -l "$dir"
