// Package events lets executions wait for the world: correlated events
// (POST /api/v1/events, the event.emit step), per-step resume URLs and
// approval decisions. Every one of them is an event in the store's bounded
// buffer; a waiting step is a row (store.EventWait), its execution parked
// and holding no worker. Publishing makes the waiting executions due in the
// store, so whichever process claims one runs its step again, and the
// store gives each event to at most one step.
package events
