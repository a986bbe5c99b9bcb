-- One row per AI model call (connectors/ai and the /v1 gateway).
CREATE TABLE ai_usage (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    workflow      TEXT COLLATE "C" NOT NULL DEFAULT '',
    execution_id  TEXT COLLATE "C" NOT NULL DEFAULT '',
    step_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    credential    TEXT COLLATE "C" NOT NULL DEFAULT '',
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    input_tokens  BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cached_tokens BIGINT NOT NULL,
    cost_usd      DOUBLE PRECISION NOT NULL
);
CREATE INDEX ai_usage_workflow_at ON ai_usage (workflow, at);
CREATE INDEX ai_usage_credential_at ON ai_usage (credential, at);
CREATE INDEX ai_usage_at ON ai_usage (at);
