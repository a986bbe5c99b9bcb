// Package webhook serves /hooks/{path…}: it finds the workflow whose
// on.webhook.path matches, checks the method, reads the body within its
// limit, turns the request into the execution's trigger input (method, path,
// headers, query, parsed body and the raw body byte-exact) and starts the
// execution. A 2xx is sent only after the input is on disk.
//
// respond: async answers 202 {"execution_id": …} once stored. respond: sync
// waits for the workflow's `respond` step (or its end) up to the trigger's
// timeout and answers with that status, headers and body; on timeout it
// answers 202 with the execution id.
//
// Overload is answered, not queued: past MaxInFlight concurrent requests the
// handler replies 503 with Retry-After before reading the body.
package webhook
