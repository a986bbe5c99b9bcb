-- Weft schema, version 1. Names and ids use the "C" collation so that they
-- sort bytewise, as in SQLite, whatever the database's locale. Payloads are bytea so their bytes round-trip
-- exactly (jsonb would reorder keys and drop spacing). Timestamps are
-- timestamptz: microsecond precision, like the SQLite store.

-- workflow_versions keeps every stored version, even of deleted workflows,
-- because executions reference (name, version).
CREATE TABLE workflow_versions (
    name         text        COLLATE "C" NOT NULL,
    version      bigint      NOT NULL,
    source       text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    webhook_path text        NOT NULL DEFAULT '',
    enabled      boolean     NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);

-- workflows is the active set: name -> active version.
CREATE TABLE workflows (
    name         text   COLLATE "C" NOT NULL PRIMARY KEY,
    version      bigint NOT NULL,
    webhook_path text   NOT NULL DEFAULT '',
    FOREIGN KEY (name, version) REFERENCES workflow_versions (name, version)
);

CREATE UNIQUE INDEX workflows_webhook_path ON workflows (webhook_path) WHERE webhook_path <> '';

CREATE TABLE executions (
    id               text        COLLATE "C" NOT NULL PRIMARY KEY,
    workflow         text        COLLATE "C" NOT NULL,
    workflow_version bigint      NOT NULL,
    status           text        NOT NULL,
    trigger_kind     text        NOT NULL DEFAULT '',
    input            bytea,
    output           bytea,
    error_code       text,
    error_message    text,
    parent_id        text        NOT NULL DEFAULT '',
    parent_step      text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    wake_at          timestamptz,
    cancel_requested boolean     NOT NULL DEFAULT false,
    lease_owner      text,
    lease_until      timestamptz,
    response         bytea
);

-- Claim scans unfinished executions oldest first.
CREATE INDEX executions_claim ON executions (created_at, id)
    WHERE status IN ('queued', 'running', 'waiting');
-- NextWake: waiting executions nobody holds.
CREATE INDEX executions_wake ON executions (wake_at)
    WHERE status = 'waiting' AND lease_owner IS NULL;
-- Listing newest first, overall, by workflow and by status; running counts.
CREATE INDEX executions_created ON executions (created_at DESC, id DESC);
CREATE INDEX executions_workflow ON executions (workflow, created_at DESC, id DESC);
CREATE INDEX executions_status ON executions (status, workflow, created_at DESC, id DESC);
-- Prune by finish time.
CREATE INDEX executions_finished ON executions (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE step_runs (
    execution_id  text        COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    step_id       text        COLLATE "C" NOT NULL,
    item          integer     NOT NULL,
    type          text        NOT NULL DEFAULT '',
    status        text        NOT NULL,
    attempts      integer     NOT NULL DEFAULT 0,
    input         bytea,
    output        bytea,
    error_code    text,
    error_message text,
    state         bytea,
    started_at    timestamptz,
    finished_at   timestamptz,
    wake_at       timestamptz,
    PRIMARY KEY (execution_id, step_id, item)
);

-- dedupe_keys has no foreign key: a key outlives a pruned execution until it
-- expires. A NULL expires_at never expires.
CREATE TABLE dedupe_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    execution_id text NOT NULL,
    expires_at   timestamptz,
    PRIMARY KEY (scope, key)
);

CREATE INDEX dedupe_keys_expires ON dedupe_keys (expires_at) WHERE expires_at IS NOT NULL;
