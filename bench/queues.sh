#!/usr/bin/env bash
# Queue triggers: messages/s from each broker into stored executions, with the
# acknowledgement after the commit, through a real `weft serve` pinned to one
# core (GOMAXPROCS=1, SQLite synchronous=FULL). Needs the local brokers; Kafka
# runs in-process (kfake). Numbers go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
export WEFT_TEST_AMQP_URL=${WEFT_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
export WEFT_TEST_NATS_URL=${WEFT_TEST_NATS_URL:-nats://127.0.0.1:4222}
export WEFT_TEST_REDIS_ADDR=${WEFT_TEST_REDIS_ADDR:-127.0.0.1:6379}
export WEFT_TEST_MQTT_ADDR=${WEFT_TEST_MQTT_ADDR:-127.0.0.1:1883}
go test ./internal/e2e -run '^$' -bench 'BenchmarkQueue' -benchtime "${N}x" -timeout 30m
