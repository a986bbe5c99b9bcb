-- One row per AI model call (connectors/ai and the /v1 gateway).
CREATE TABLE ai_usage (
    id            TEXT    NOT NULL PRIMARY KEY,
    at            INTEGER NOT NULL, -- microseconds UTC
    workflow      TEXT    NOT NULL DEFAULT '',
    execution_id  TEXT    NOT NULL DEFAULT '',
    step_id       TEXT    NOT NULL DEFAULT '',
    credential    TEXT    NOT NULL DEFAULT '',
    provider      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    cost_usd      REAL    NOT NULL
);
CREATE INDEX ai_usage_workflow_at ON ai_usage (workflow, at);
CREATE INDEX ai_usage_credential_at ON ai_usage (credential, at);
CREATE INDEX ai_usage_at ON ai_usage (at);
