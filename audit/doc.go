// Package audit keeps Weft's audit trail: who changed what, from where and
// when. Every change and privileged action of the API is appended through a
// Recorder to the store's append-only, hash-chained table (store.Audit);
// Verify walks the chain and names the first entry that was edited or
// removed; Export writes entries as JSON lines; the Recorder also hands each
// entry to the outbound webhook subscriptions that asked for "audit.entry",
// and Retention prunes old entries in small batches.
package audit
