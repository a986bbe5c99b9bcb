package storepg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.MCPTools = (*Store)(nil)

// PutMCPTools implements store.MCPTools.
func (s *Store) PutMCPTools(ctx context.Context, l store.MCPToolList) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO mcp_tools (connection, tools, listed_at) VALUES ($1, $2, $3)
		ON CONFLICT (connection) DO UPDATE SET tools = excluded.tools, listed_at = excluded.listed_at`,
		l.Connection, string(l.Tools), l.ListedAt.Truncate(time.Microsecond)); err != nil {
		return fmt.Errorf("storing the MCP tools of %q: %w", l.Connection, err)
	}
	return nil
}

// GetMCPTools implements store.MCPTools.
func (s *Store) GetMCPTools(ctx context.Context, connection string) (store.MCPToolList, error) {
	l := store.MCPToolList{Connection: connection}
	var tools string
	err := s.pool.QueryRow(ctx, "SELECT tools, listed_at FROM mcp_tools WHERE connection = $1", connection).Scan(&tools, &l.ListedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("MCP tools of %q: %w", connection, weft.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("reading the MCP tools of %q: %w", connection, err)
	}
	l.Tools, l.ListedAt = []byte(tools), l.ListedAt.UTC()
	return l, nil
}

// DeleteMCPTools implements store.MCPTools.
func (s *Store) DeleteMCPTools(ctx context.Context, connection string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM mcp_tools WHERE connection = $1", connection); err != nil {
		return fmt.Errorf("deleting the MCP tools of %q: %w", connection, err)
	}
	return nil
}
