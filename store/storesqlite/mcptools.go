package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.MCPTools = (*Store)(nil)

// PutMCPTools implements store.MCPTools.
func (s *Store) PutMCPTools(ctx context.Context, l store.MCPToolList) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, `INSERT INTO mcp_tools (connection, tools, listed_at) VALUES (?, ?, ?)
			ON CONFLICT (connection) DO UPDATE SET tools = excluded.tools, listed_at = excluded.listed_at`,
			l.Connection, string(l.Tools), micros(l.ListedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("storing the MCP tools of %q: %w", l.Connection, err)
	}
	return nil
}

// GetMCPTools implements store.MCPTools.
func (s *Store) GetMCPTools(ctx context.Context, connection string) (store.MCPToolList, error) {
	l := store.MCPToolList{Connection: connection}
	var (
		tools string
		at    int64
	)
	err := s.rdb.QueryRowContext(ctx, "SELECT tools, listed_at FROM mcp_tools WHERE connection = ?", connection).Scan(&tools, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("MCP tools of %q: %w", connection, weft.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("reading the MCP tools of %q: %w", connection, err)
	}
	l.Tools, l.ListedAt = []byte(tools), fromMicros(at)
	return l, nil
}

// DeleteMCPTools implements store.MCPTools.
func (s *Store) DeleteMCPTools(ctx context.Context, connection string) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, "DELETE FROM mcp_tools WHERE connection = ?", connection)
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting the MCP tools of %q: %w", connection, err)
	}
	return nil
}
