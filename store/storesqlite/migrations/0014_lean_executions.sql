-- Issue 14: fewer index entries per execution. The status index held every
-- execution, but a query by status is a query for the few that did not
-- succeed (failures, cancellations, work in flight, running counts); a list
-- of succeeded executions walks executions_created or executions_workflow,
-- where nearly every row matches. Leaving succeeded rows out removes one
-- b-tree insert from every execution the fast path writes. Queries filtering
-- on other statuses repeat the condition (store.StatusIndexTerm).
DROP INDEX executions_status;
CREATE INDEX executions_status ON executions (status, workflow, created_at, id)
    WHERE status <> 'succeeded';
