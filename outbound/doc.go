// Package outbound delivers Weft's own events (execution.succeeded,
// execution.failed, execution.canceled) to subscribed endpoints, signed per
// the Standard Webhooks spec.
//
// Delivery is built on the engine (see docs/adr/0003): each delivery is an
// execution of the managed workflow weft-webhook-delivery, whose one
// webhook.send step retries on a long schedule by suspending. The delivery
// log is that workflow's execution list, the dead letter is a failed
// execution, and manual redelivery is POST /api/v1/executions/{id}/retry.
// Fan-out is exactly-once per (subscription, event) through the store's
// dedupe keys, so the in-process hook and the catch-up sweep (which covers a
// crash between an execution finishing and its fan-out) never deliver twice.
// An endpoint whose deliveries keep failing for DisableAfter (default 5
// days) is disabled, with a subscription.disabled event to the others.
package outbound
