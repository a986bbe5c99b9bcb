package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// mcpToolStore keeps the MCP client's tool lists in the store.
type mcpToolStore struct{ st store.MCPTools }

var _ mcp.ToolStore = mcpToolStore{}

func (m mcpToolStore) SaveTools(ctx context.Context, connection string, tools []mcp.ToolInfo, at time.Time) error {
	b, err := json.Marshal(tools)
	if err != nil {
		return fmt.Errorf("encoding the MCP tools of %q: %w", connection, err)
	}
	return m.st.PutMCPTools(ctx, store.MCPToolList{Connection: connection, Tools: b, ListedAt: at})
}

func (m mcpToolStore) LoadTools(ctx context.Context, connection string) ([]mcp.ToolInfo, time.Time, bool, error) {
	l, err := m.st.GetMCPTools(ctx, connection)
	if errors.Is(err, weft.ErrNotFound) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, err
	}
	var tools []mcp.ToolInfo
	if err := json.Unmarshal(l.Tools, &tools); err != nil {
		return nil, time.Time{}, false, fmt.Errorf("decoding the stored MCP tools of %q: %w", connection, err)
	}
	return tools, l.ListedAt, true, nil
}

// mcpTools lends the API the MCP client, with the vault and HTTP client a
// step gets.
type mcpTools struct {
	svc   *mcp.Service
	conns step.Connections
	http  *http.Client
}

var _ api.MCPTools = mcpTools{}

func (m mcpTools) Refresh(ctx context.Context, connection string) ([]mcp.ToolInfo, error) {
	return m.svc.Refresh(ctx, m.conns, m.http, connection)
}

func (m mcpTools) Stored(ctx context.Context, connection string) ([]mcp.ToolInfo, time.Time, bool, error) {
	return m.svc.Stored(ctx, connection)
}

func (m mcpTools) CheckSaved(ctx context.Context, calls []mcp.SavedCall) ([]error, error) {
	return m.svc.CheckSaved(ctx, calls)
}
