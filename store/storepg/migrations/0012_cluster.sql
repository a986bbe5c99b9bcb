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

-- Apply sends a whole mutation as one pipelined batch (one round trip, one
-- implicit transaction). The checks that used to read a row and decide in
-- Go are functions that raise, so a failed check aborts the batch and
-- nothing of it is written.
-- weft_lease_held locks the execution and raises WF001 unless owner holds
-- its lease (a concurrent Claim that committed first is seen after the
-- lock, as with SELECT … FOR UPDATE).
CREATE FUNCTION weft_lease_held(p_id text, p_owner text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM executions WHERE id = p_id AND lease_owner = p_owner FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lease of % on execution % lost', p_owner, p_id USING ERRCODE = 'WF001';
    END IF;
END $$;
-- weft_claim_dedupe claims (scope, key) for an execution, taking over an
-- expired claim, and raises WF002 when a live claim holds it.
CREATE FUNCTION weft_claim_dedupe(p_scope text, p_key text, p_id text, p_expires timestamptz, p_now timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dedupe_keys (scope, key, execution_id, expires_at) VALUES (p_scope, p_key, p_id, p_expires)
    ON CONFLICT (scope, key) DO UPDATE SET execution_id = excluded.execution_id, expires_at = excluded.expires_at
    WHERE dedupe_keys.expires_at IS NOT NULL AND dedupe_keys.expires_at <= p_now;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dedupe key %/% is held', p_scope, p_key USING ERRCODE = 'WF002';
    END IF;
END $$;
