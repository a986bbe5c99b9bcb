-- Issue 14: fewer index entries per execution. The status index held every
-- execution, but a query by status is a query for the few that did not
-- succeed (failures, cancellations, work in flight, running counts); a list
-- of succeeded executions walks executions_created or executions_workflow,
-- where nearly every row matches. Leaving succeeded rows out removes one
-- b-tree insert from every execution the fast path writes. Queries filtering
-- on other statuses repeat the condition (store.StatusIndexTerm).
DROP INDEX executions_status;
CREATE INDEX executions_status ON executions (status, workflow, created_at DESC, id DESC)
    WHERE status <> 'succeeded';

-- The step runs' foreign key ran a trigger (a query locking the execution
-- row) for every step run written, twice per execution on the fast path,
-- though Apply writes an execution's first step runs in the same batch that
-- creates it. Apply keeps the guarantee instead: a mutation that does not
-- create its execution and holds no lease (whose check locks the row)
-- first calls weft_execution_exists, which locks the row against a
-- concurrent prune and raises WF003 when it is missing, so no step run is
-- written without its execution. Prune deletes the step runs itself.
ALTER TABLE step_runs DROP CONSTRAINT step_runs_execution_id_fkey;
CREATE FUNCTION weft_execution_exists(p_id text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM executions WHERE id = p_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'execution % not found', p_id USING ERRCODE = 'WF003';
    END IF;
END $$;
