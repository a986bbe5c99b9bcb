-- Weft schema, version 1. Timestamps are INTEGER microseconds since the Unix
-- epoch (UTC): exact, compact and sortable. Payloads are BLOBs so their bytes
-- round-trip exactly.

-- workflow_versions keeps every stored version, even of deleted workflows,
-- because executions reference (name, version).
CREATE TABLE workflow_versions (
    name         TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    webhook_path TEXT    NOT NULL DEFAULT '',
    enabled      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (name, version)
) WITHOUT ROWID;

-- workflows is the active set: name -> active version. Deleting a workflow
-- deletes its row here only.
CREATE TABLE workflows (
    name         TEXT    NOT NULL PRIMARY KEY,
    version      INTEGER NOT NULL,
    webhook_path TEXT    NOT NULL DEFAULT '',
    FOREIGN KEY (name, version) REFERENCES workflow_versions (name, version)
) WITHOUT ROWID;

CREATE UNIQUE INDEX workflows_webhook_path ON workflows (webhook_path) WHERE webhook_path <> '';

CREATE TABLE executions (
    id               TEXT    NOT NULL PRIMARY KEY,
    workflow         TEXT    NOT NULL,
    workflow_version INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    trigger_kind     TEXT    NOT NULL DEFAULT '',
    input            BLOB,
    output           BLOB,
    error_code       TEXT,
    error_message    TEXT,
    parent_id        TEXT    NOT NULL DEFAULT '',
    parent_step      TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    wake_at          INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      INTEGER,
    response         BLOB
);

-- Claim scans unfinished executions oldest first.
CREATE INDEX executions_claim ON executions (created_at, id)
    WHERE status IN ('queued', 'running', 'waiting');
-- NextWake: waiting executions nobody holds.
CREATE INDEX executions_wake ON executions (wake_at)
    WHERE status = 'waiting' AND lease_owner IS NULL;
-- Listing newest first, overall, by workflow and by status; running counts.
CREATE INDEX executions_created ON executions (created_at, id);
CREATE INDEX executions_workflow ON executions (workflow, created_at, id);
CREATE INDEX executions_status ON executions (status, workflow, created_at, id);
-- Prune by finish time.
CREATE INDEX executions_finished ON executions (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE step_runs (
    execution_id  TEXT    NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    step_id       TEXT    NOT NULL,
    item          INTEGER NOT NULL,
    type          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    input         BLOB,
    output        BLOB,
    error_code    TEXT,
    error_message TEXT,
    state         BLOB,
    started_at    INTEGER,
    finished_at   INTEGER,
    wake_at       INTEGER,
    PRIMARY KEY (execution_id, step_id, item)
) WITHOUT ROWID;

-- dedupe_keys has no foreign key: a key outlives a pruned execution until it
-- expires. A NULL expires_at never expires.
CREATE TABLE dedupe_keys (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    execution_id TEXT    NOT NULL,
    expires_at   INTEGER,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE INDEX dedupe_keys_expires ON dedupe_keys (expires_at) WHERE expires_at IS NOT NULL;
