-- The last tools/list answer of each mcp connection's server (issue 12):
-- save-time checks of mcp.call arguments and the console's tool picker read
-- it. tools is a JSON array.
CREATE TABLE mcp_tools (
    connection text PRIMARY KEY,
    tools      text        NOT NULL,
    listed_at  timestamptz NOT NULL
);
