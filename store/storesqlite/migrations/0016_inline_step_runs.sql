-- Issue 14: one b-tree fewer per execution that finishes inside its request.
-- An execution created already finished, with its step runs, in one
-- mutation keeps those step runs in its own row (a JSON array, see
-- store.InlineStepRuns) instead of one step_runs row each: the step_runs
-- b-tree wrote the most pages of such a commit. steps is NULL for every
-- other execution; any later write of a step run of the execution first
-- moves them into step_runs rows and clears it, in the same transaction.
ALTER TABLE executions ADD COLUMN steps BLOB;
