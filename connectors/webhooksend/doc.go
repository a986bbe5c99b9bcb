// Package webhooksend is the webhook.send step: it POSTs a JSON payload
// signed per the Standard Webhooks spec (webhook-id, webhook-timestamp,
// webhook-signature: v1,base64(HMAC-SHA256(id.timestamp.body))) and retries
// a failed delivery on a long schedule (5s, 5m, 30m, 2h, 5h, 10h, 10h by
// default) by suspending the step, so no worker is held between attempts.
// After the last attempt the step fails: the failed execution is the
// dead-letter record, and retrying the execution delivers again.
//
// The message id is stable across attempts (the step's idempotency key),
// so the receiver can drop repeats. Outbound calls go through Env.HTTP,
// the engine's SSRF-guarded client.
package webhooksend
