package store

import (
	"context"
	"encoding/json"
	"time"
)

// MCPToolList is the last tools/list answer of an mcp connection's server,
// kept so that a workflow's mcp.call steps can be checked when it is saved
// and the console can offer the tools without calling the server.
type MCPToolList struct {
	Connection string `json:"connection"`
	// Tools is the JSON array of tools: {name, description, input_schema}.
	Tools    json.RawMessage `json:"tools"`
	ListedAt time.Time       `json:"listed_at"`
}

// MCPTools stores one tool list per mcp connection.
type MCPTools interface {
	// PutMCPTools creates or replaces the list of l.Connection.
	PutMCPTools(ctx context.Context, l MCPToolList) error
	// GetMCPTools returns the list of connection; weft.ErrNotFound when its
	// server was never listed.
	GetMCPTools(ctx context.Context, connection string) (MCPToolList, error)
	// DeleteMCPTools drops the list of connection (its connection changed
	// or was deleted); no error when there is none.
	DeleteMCPTools(ctx context.Context, connection string) error
}
