#!/bin/sh
# Webhook verification + dedupe under load: 50,000 signed deliveries
# (Standard Webhooks), 10% of them repeats, from 64 concurrent clients on
# 127.0.0.1, against SQLite and against PostgreSQL with two Weft engines and
# webhook handlers sharing one database. Passes only if every unique
# delivery has exactly one execution and every answer was 200/202.
#
#   WEFT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bench/webhook-load.sh
#
# Bounded: 50,000 requests per store, 10 minutes at most.
set -eu
cd "$(dirname "$0")/.."
N=${WEFT_WEBHOOK_LOAD:-50000}
WEFT_WEBHOOK_LOAD=$N exec go test -count=1 -timeout 10m -v \
	-run 'TestLoadDedupeSQLite|TestIntegrationLoadDedupePostgresTwoProcesses' ./trigger/webhook/ 2>&1 |
	grep -E '^(=== RUN|--- |ok|FAIL|PASS)|load:|SKIP'
