-- Polling triggers (on.poll): one row per workflow and trigger index holding
-- the cursor, the most recent item ids, when the next poll is due, who holds
-- the current poll, and its liveness. Times are Unix microseconds.
CREATE TABLE poll_states (
    workflow        TEXT    NOT NULL,
    idx             INTEGER NOT NULL,
    cursor          TEXT,
    seen            TEXT    NOT NULL DEFAULT '[]',
    next_poll_at    INTEGER NOT NULL,
    claim_owner     TEXT    NOT NULL DEFAULT '',
    claim_until     INTEGER,
    last_poll_at    INTEGER,
    last_success_at INTEGER,
    last_error_at   INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    items_seen      INTEGER NOT NULL DEFAULT 0,
    paused_until    INTEGER,
    PRIMARY KEY (workflow, idx)
);
