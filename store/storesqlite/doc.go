// Package storesqlite is Weft's embedded store: one SQLite file, no server,
// pure Go (modernc.org/sqlite), so the weft binary stays static.
//
// # Writes: one writer, group commit
//
// SQLite allows one writer at a time. Instead of letting goroutines fight
// over the write lock, every write (Apply, Claim, Renew, PutWorkflow, ...)
// is queued to a single writer goroutine that owns the only write
// connection. It takes everything queued (up to Options.MaxBatch), opens one
// BEGIN IMMEDIATE transaction, runs each job inside its own SAVEPOINT — a job
// that fails (lease lost, duplicate dedupe key, not found) is rolled back to
// its savepoint and does not touch the others; a batch of one job runs
// without one, its transaction rolled back instead — commits once and then
// answers every caller. Many concurrent Apply calls therefore cost one
// commit and one fsync. Apply returns only after that commit.
//
// # Durability
//
// The database runs in WAL mode. Options.Synchronous picks the trade-off:
// SyncFull (default) fsyncs the WAL at every commit, so a committed Apply
// survives power loss; SyncNormal fsyncs only at checkpoints, so a committed
// Apply survives kill -9 of the process (the kernel already has the pages)
// but not a power cut. With group commit FULL is cheap enough to be the
// default (see docs/adr/0002-storage-and-group-commit.md).
//
// # Reads
//
// Reads use a separate pool of query_only connections; WAL lets them run
// while the writer commits, and they see every committed write.
//
// # Space
//
// auto_vacuum=INCREMENTAL is set when the file is created, and Prune runs
// PRAGMA incremental_vacuum after deleting, so pruning gives disk space back
// instead of leaving a file that only grows.
//
// Timestamps are stored as integer microseconds (UTC), payloads as BLOBs
// (byte-exact). Migrations are embedded SQL files recorded in
// schema_migrations and applied by Open.
package storesqlite
