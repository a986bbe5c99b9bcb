// Package register keeps each workflow's webhook subscription at its
// provider (on.webhook.register): it creates the Stripe webhook endpoint or
// GitHub repository hook for the workflow's public URL, finds it again by
// that URL instead of creating a second one, updates its events in place,
// removes it when the workflow is deleted or disabled, and stores the signing
// secret in the credential vault for the webhook preset to verify with.
//
// A Registrar runs in the background of every process. Each workflow's state
// is a row in the store (store.Registrations) that one process claims at a
// time, so two processes on one PostgreSQL never register the same workflow
// at once. Failures are recorded as state error with the message and retried
// with exponential backoff; applying a workflow never waits for the provider.
package register
