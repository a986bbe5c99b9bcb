-- The last tools/list answer of each mcp connection's server (issue 12):
-- save-time checks of mcp.call arguments and the console's tool picker read
-- it. tools is a JSON array; listed_at is Unix microseconds.
CREATE TABLE mcp_tools (
    connection TEXT PRIMARY KEY,
    tools      TEXT    NOT NULL,
    listed_at  INTEGER NOT NULL
) WITHOUT ROWID;
