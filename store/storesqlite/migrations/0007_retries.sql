-- Retries keep history (issue 15): the earlier runs of an execution that a
-- retry replaced, with the step runs it ran again (weft.PriorRun, JSON).
ALTER TABLE executions ADD COLUMN retries BLOB;
