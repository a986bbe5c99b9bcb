-- Connections (issue 4): encrypted credentials, the step result cache and
-- rate limiter states shared by every process. Credential values are sealed
-- by the credential package (AES-256-GCM) before they get here.
CREATE TABLE credentials (
    name       text        COLLATE "C" NOT NULL PRIMARY KEY,
    type       text        NOT NULL,
    sealed     bytea       NOT NULL,
    settings   bytea,
    token      bytea,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE step_cache (
    key        text        COLLATE "C" NOT NULL PRIMARY KEY,
    value      bytea       NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX step_cache_expires ON step_cache (expires_at);

CREATE TABLE limiter_states (
    key   text  COLLATE "C" NOT NULL PRIMARY KEY,
    state bytea NOT NULL
);

ALTER TABLE step_runs ADD COLUMN attempt_log bytea;
