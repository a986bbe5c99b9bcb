-- Cluster-wide state (issue 14): webhook rate buckets and open circuit
-- breakers. One process owns a SQLite database, so the server keeps these
-- in memory; the tables exist so that the store implements the same
-- interfaces as PostgreSQL's.
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tat INTEGER NOT NULL -- unix nanoseconds (GCRA)
) WITHOUT ROWID;
CREATE TABLE circuit_states (
    host TEXT PRIMARY KEY,
    open_until INTEGER NOT NULL -- unix microseconds
) WITHOUT ROWID;
