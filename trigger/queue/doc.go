// Package queue turns messages from brokers into executions (`on.queue`).
//
// The framework owns what every broker shares: it starts a consumer for each
// binding of each enabled workflow and stops it when the workflow changes,
// creates exactly one execution per message (the store's atomic dedupe on
// the message id absorbs redeliveries), acknowledges a message only after
// Start returned — that is, after the execution is on disk — bounds the
// messages in flight by the binding's prefetch (never above the workflow's
// concurrency), reconnects with exponential backoff and jitter, and keeps
// each binding's health (connected, last message, lag, last error,
// reconnects) for GET /api/v1/triggers, metrics and the console.
//
// A broker is a small Consumer in a package of its own (queuenats,
// queueamqp, queueredis, queuekafka, queuemqtt, queuepg: one package per
// client library), registered explicitly in the composition root. The
// package imports neither the engine nor a store: it starts executions
// through the Starter interface, so the publish step (connectors/queue) can
// share the broker packages without reaching the engine.
package queue
