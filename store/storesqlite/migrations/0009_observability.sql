-- Traces (issue 13): the W3C traceparent of the span that started an
-- execution, so a process that resumes it continues the same trace.
ALTER TABLE executions ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
