-- Webhooks (issue 3): the inbound delivery log and outbound subscriptions.
CREATE TABLE webhook_deliveries (
    id           TEXT        NOT NULL PRIMARY KEY,
    workflow     TEXT        NOT NULL DEFAULT '',
    path         TEXT        NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    source_ip    TEXT        NOT NULL DEFAULT '',
    method       TEXT        NOT NULL,
    status       INTEGER     NOT NULL,
    outcome      TEXT        NOT NULL,
    reason       TEXT        NOT NULL DEFAULT '',
    scheme       TEXT        NOT NULL DEFAULT '',
    key_id       TEXT        NOT NULL DEFAULT '',
    dedupe_key   TEXT        NOT NULL DEFAULT '',
    execution_id TEXT        NOT NULL DEFAULT '',
    request      BYTEA
);

CREATE INDEX webhook_deliveries_workflow ON webhook_deliveries (workflow, id);
CREATE INDEX webhook_deliveries_outcome ON webhook_deliveries (outcome, id);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

CREATE TABLE webhook_subscriptions (
    id              TEXT        NOT NULL PRIMARY KEY,
    url             TEXT        NOT NULL,
    events          JSONB       NOT NULL,
    workflows       JSONB       NOT NULL,
    description     TEXT        NOT NULL DEFAULT '',
    secret          BYTEA       NOT NULL,
    enabled         BOOLEAN     NOT NULL,
    disabled_reason TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    last_success_at TIMESTAMPTZ,
    failing_since   TIMESTAMPTZ
);
