-- Webhooks (issue 3): the inbound delivery log and outbound subscriptions.
CREATE TABLE webhook_deliveries (
    id           TEXT    NOT NULL PRIMARY KEY,
    workflow     TEXT    NOT NULL DEFAULT '',
    path         TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    source_ip    TEXT    NOT NULL DEFAULT '',
    method       TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    outcome      TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    scheme       TEXT    NOT NULL DEFAULT '',
    key_id       TEXT    NOT NULL DEFAULT '',
    dedupe_key   TEXT    NOT NULL DEFAULT '',
    execution_id TEXT    NOT NULL DEFAULT '',
    request      BLOB
) WITHOUT ROWID;

CREATE INDEX webhook_deliveries_workflow ON webhook_deliveries (workflow, id);
CREATE INDEX webhook_deliveries_outcome ON webhook_deliveries (outcome, id);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

CREATE TABLE webhook_subscriptions (
    id              TEXT    NOT NULL PRIMARY KEY,
    url             TEXT    NOT NULL,
    events          BLOB    NOT NULL,
    workflows       BLOB    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    secret          BLOB    NOT NULL,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_success_at INTEGER,
    failing_since   INTEGER
) WITHOUT ROWID;
