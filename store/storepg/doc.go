// Package storepg is Weft's PostgreSQL store, for several Weft processes
// sharing one database (github.com/jackc/pgx/v5, pgxpool).
//
// Concurrent Applies share transactions (group commit, group.go): the ones
// that arrive while MaxWriters groups are in flight are sent together as one
// pipelined batch, one round trip and one commit, and each caller is
// answered after that commit. If the server refuses any statement of a
// group, the group rolls back and each of its Applies runs again in a
// transaction of its own, so a failing Apply fails alone. Fencing reads the
// execution row FOR UPDATE, so a concurrent Claim either committed first
// (and the write fails with weft.ErrLeaseLost) or skips the row.
//
// Claim selects candidates with FOR UPDATE SKIP LOCKED, so processes
// claiming at once never receive the same execution. A workflow's running
// limit is counted under a transaction-scoped advisory lock on the workflow
// name taken with pg_try_advisory_xact_lock: a process that cannot get it
// skips that workflow for this round instead of waiting, which keeps claims
// deadlock-free and the limit exact across processes.
//
// Open creates Options.Schema if needed, sets it as search_path, and applies
// the embedded migrations (migrations/*.sql, recorded in schema_migrations)
// in one transaction holding an advisory lock, so processes starting at once
// do not race. Payloads are bytea (byte-exact, unlike jsonb); timestamps are
// timestamptz (microseconds) returned in UTC; ids and names use the "C"
// collation so that ordering and cursors match the SQLite store.
//
// The tests need a server: set WEFT_TEST_POSTGRES_URL, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each test runs in
// its own schema, dropped afterwards.
package storepg
