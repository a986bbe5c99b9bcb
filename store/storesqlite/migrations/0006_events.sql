-- Waiting for events (issue 11): buffered correlated events and the steps
-- that wait for them. An event is taken by at most one step (taken_by).
CREATE TABLE events (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    key         TEXT    NOT NULL DEFAULT '',
    payload     BLOB    NOT NULL,
    dedupe      TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    taken_by    TEXT,
    taken_at    INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_dedupe ON events (dedupe) WHERE dedupe IS NOT NULL;
CREATE INDEX events_pending ON events (name, key, created_at) WHERE taken_by IS NULL;
CREATE UNIQUE INDEX events_taken ON events (taken_by) WHERE taken_by IS NOT NULL;
CREATE INDEX events_expiry ON events (expires_at);

CREATE TABLE event_waits (
    execution_id TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    item         INTEGER NOT NULL,
    workflow     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    key          TEXT    NOT NULL DEFAULT '',
    info         BLOB,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (execution_id, step_id, item)
) WITHOUT ROWID;
CREATE INDEX event_waits_key ON event_waits (name, key);
CREATE INDEX event_waits_list ON event_waits (name, created_at, execution_id, step_id, item);
CREATE INDEX event_waits_expiry ON event_waits (expires_at);
