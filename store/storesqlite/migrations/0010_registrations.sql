-- Webhook subscriptions at providers (on.webhook.register): one row per
-- workflow holding what was asked for, the provider's endpoint id, the state
-- and who holds the current attempt. Times are Unix microseconds.
CREATE TABLE webhook_registrations (
    workflow        TEXT    NOT NULL PRIMARY KEY,
    provider        TEXT    NOT NULL DEFAULT '',
    spec            TEXT    NOT NULL DEFAULT '',
    url             TEXT    NOT NULL DEFAULT '',
    events          TEXT    NOT NULL DEFAULT '[]',
    state           TEXT    NOT NULL DEFAULT 'pending',
    endpoint_id     TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claim_owner     TEXT    NOT NULL DEFAULT '',
    claim_until     INTEGER,
    updated_at      INTEGER NOT NULL
);
