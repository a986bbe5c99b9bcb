-- Waiting for events (issue 11): buffered correlated events and the steps
-- that wait for them. An event is taken by at most one step (taken_by).
CREATE TABLE events (
    id          text        COLLATE "C" NOT NULL PRIMARY KEY,
    name        text        COLLATE "C" NOT NULL,
    key         text        COLLATE "C" NOT NULL DEFAULT '',
    payload     bytea       NOT NULL,
    dedupe      text        COLLATE "C",
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    taken_by    text        COLLATE "C",
    taken_at    timestamptz
);
CREATE UNIQUE INDEX events_dedupe ON events (dedupe) WHERE dedupe IS NOT NULL;
CREATE INDEX events_pending ON events (name, key, created_at) WHERE taken_by IS NULL;
CREATE UNIQUE INDEX events_taken ON events (taken_by) WHERE taken_by IS NOT NULL;
CREATE INDEX events_expiry ON events (expires_at);

CREATE TABLE event_waits (
    execution_id text        COLLATE "C" NOT NULL,
    step_id      text        COLLATE "C" NOT NULL,
    item         integer     NOT NULL,
    workflow     text        COLLATE "C" NOT NULL,
    name         text        COLLATE "C" NOT NULL,
    key          text        COLLATE "C" NOT NULL DEFAULT '',
    info         bytea,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (execution_id, step_id, item)
);
CREATE INDEX event_waits_key ON event_waits (name, key);
CREATE INDEX event_waits_list ON event_waits (name, created_at, execution_id, step_id, item);
CREATE INDEX event_waits_expiry ON event_waits (expires_at);
