-- Cluster-wide state (issue 14): webhook rate buckets and open circuit
-- breakers, shared by every process on this database. Both are soft state:
-- a crash that loses them only resets a budget or closes a circuit early,
-- so the tables are UNLOGGED and their writes never wait for a WAL flush.
CREATE UNLOGGED TABLE rate_buckets (
    key text PRIMARY KEY,
    -- theoretical arrival time of the next token (GCRA), unix nanoseconds
    tat bigint NOT NULL
);
CREATE UNLOGGED TABLE circuit_states (
    host text PRIMARY KEY,
    open_until timestamptz NOT NULL
);
