-- Issue 14: no step_runs rows for an execution that finishes inside its
-- request. An execution created already finished, with its step runs, in
-- one mutation keeps those step runs in its own row (a JSON array, see
-- store.InlineStepRuns) instead of one step_runs row and index entry each.
-- steps is NULL for every other execution.
ALTER TABLE executions ADD COLUMN steps bytea;

-- weft_spill_steps moves the step runs execution p_id keeps in its row into
-- step_runs rows and clears the column. Apply calls it before a write of a
-- step run of an execution it does not create, ResetForRetry before it reads
-- them, so from then on the execution has rows like any other. It locks the
-- row it changes; an execution that keeps none costs one lookup.
CREATE FUNCTION weft_spill_steps(p_id text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v bytea;
BEGIN
    SELECT steps INTO v FROM executions WHERE id = p_id AND steps IS NOT NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO step_runs (execution_id, step_id, item, type, status, attempts, input, output,
        error_code, error_message, state, started_at, finished_at, wake_at, attempt_log)
    SELECT p_id, r->>'s', (r->>'i')::integer, r->>'t', r->>'st', (r->>'a')::integer,
        COALESCE(convert_to(r->>'in', 'UTF8'), decode(r->>'in64', 'base64')),
        COALESCE(convert_to(r->>'out', 'UTF8'), decode(r->>'out64', 'base64')),
        r->>'ec', CASE WHEN r ? 'ec' THEN r->>'em' END,
        COALESCE(convert_to(r->>'sd', 'UTF8'), decode(r->>'sd64', 'base64')),
        'epoch'::timestamptz + (r->>'sa')::bigint * interval '1 microsecond',
        'epoch'::timestamptz + (r->>'fa')::bigint * interval '1 microsecond',
        'epoch'::timestamptz + (r->>'wa')::bigint * interval '1 microsecond',
        convert_to((r->'h')::text, 'UTF8')
    FROM jsonb_array_elements(convert_from(v, 'UTF8')::jsonb) AS r
    ON CONFLICT (execution_id, step_id, item) DO NOTHING;
    UPDATE executions SET steps = NULL WHERE id = p_id;
END $$;
