-- Traces (issue 13): the W3C traceparent of the span that started an
-- execution, so a process that resumes it continues the same trace.
ALTER TABLE executions ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';

-- Alerts (issue 13): each rule's state, leased to the one process that
-- evaluates it, and the rules made in the console or the API (rules from
-- files are not stored).
CREATE TABLE alert_state (
    name         TEXT   NOT NULL PRIMARY KEY,
    state        TEXT   NOT NULL DEFAULT 'ok',
    value        DOUBLE PRECISION NOT NULL DEFAULT 0,
    since        BIGINT,
    notified_at  BIGINT,
    evaluated_at BIGINT,
    owner        TEXT   NOT NULL DEFAULT '',
    lease_until  BIGINT
);
CREATE TABLE alert_rules (
    name       TEXT   NOT NULL PRIMARY KEY,
    doc        TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
