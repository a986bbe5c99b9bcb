-- Webhook subscriptions at providers (on.webhook.register): one row per
-- workflow holding what was asked for, the provider's endpoint id, the state
-- and who holds the current attempt. The primary key and the conditional
-- claim keep two processes from registering one workflow at once.
CREATE TABLE webhook_registrations (
    workflow        text        NOT NULL PRIMARY KEY,
    provider        text        NOT NULL DEFAULT '',
    spec            text        NOT NULL DEFAULT '',
    url             text        NOT NULL DEFAULT '',
    events          text        NOT NULL DEFAULT '[]',
    state           text        NOT NULL DEFAULT 'pending',
    endpoint_id     text        NOT NULL DEFAULT '',
    last_error      text        NOT NULL DEFAULT '',
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claim_owner     text        NOT NULL DEFAULT '',
    claim_until     timestamptz,
    updated_at      timestamptz NOT NULL
);
