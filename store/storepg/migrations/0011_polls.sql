-- Polling triggers (on.poll): one row per workflow and trigger index holding
-- the cursor, the most recent item ids, when the next poll is due, who holds
-- the current poll, and its liveness.
CREATE TABLE poll_states (
    workflow        text        NOT NULL,
    idx             integer     NOT NULL,
    cursor          text,
    seen            text        NOT NULL DEFAULT '[]',
    next_poll_at    timestamptz NOT NULL,
    claim_owner     text        NOT NULL DEFAULT '',
    claim_until     timestamptz,
    last_poll_at    timestamptz,
    last_success_at timestamptz,
    last_error_at   timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    items_seen      bigint      NOT NULL DEFAULT 0,
    paused_until    timestamptz,
    PRIMARY KEY (workflow, idx)
);
