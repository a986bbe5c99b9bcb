-- Connections (issue 4): encrypted credentials, the step result cache and
-- rate limiter states. Values in credentials are sealed by the credential
-- package (AES-256-GCM); the database never holds a secret in the clear.
CREATE TABLE credentials (
    name       TEXT    NOT NULL PRIMARY KEY,
    type       TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    settings   BLOB,
    token      BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE step_cache (
    key        TEXT    NOT NULL PRIMARY KEY,
    value      BLOB    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX step_cache_expires ON step_cache (expires_at);

CREATE TABLE limiter_states (
    key   TEXT NOT NULL PRIMARY KEY,
    state BLOB NOT NULL
) WITHOUT ROWID;

ALTER TABLE step_runs ADD COLUMN attempt_log BLOB;
