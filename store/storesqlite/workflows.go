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

const activeWorkflowSQL = "SELECT " + workflowCols + ` FROM workflows a
	JOIN workflow_versions v ON v.name = a.name AND v.version = a.version`

// PutWorkflow stores rec as a new version unless it equals the active one;
// see store.Workflows. It returns weft.ErrConflict when another active
// workflow already serves rec.WebhookPath.
func (s *Store) PutWorkflow(ctx context.Context, rec weft.WorkflowRecord) (weft.WorkflowRecord, bool, error) {
	if !weft.NamePattern.MatchString(rec.Name) {
		return weft.WorkflowRecord{}, false, fmt.Errorf("storing workflow %q: name must match %s: %w", rec.Name, weft.NamePattern, weft.ErrInvalid)
	}
	var (
		stored  weft.WorkflowRecord
		changed bool
	)
	err := s.do(ctx, func(w *writer, now time.Time) error {
		active, err := scanWorkflow(w.conn.QueryRowContext(w.ctx, activeWorkflowSQL+" WHERE a.name = ?", rec.Name))
		hasActive := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading active version: %w", err)
		}
		if hasActive && active.Source == rec.Source && active.Enabled == rec.Enabled {
			stored, changed = active, false
			return nil
		}
		if rec.WebhookPath != "" {
			var other string
			err := w.conn.QueryRowContext(w.ctx, "SELECT name FROM workflows WHERE webhook_path = ? AND name <> ?",
				rec.WebhookPath, rec.Name).Scan(&other)
			if err == nil {
				return fmt.Errorf("webhook path %q is served by workflow %q: %w", rec.WebhookPath, other, weft.ErrConflict)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("checking webhook path: %w", err)
			}
		}
		var last int64
		if err := w.conn.QueryRowContext(w.ctx, "SELECT COALESCE(MAX(version), 0) FROM workflow_versions WHERE name = ?",
			rec.Name).Scan(&last); err != nil {
			return fmt.Errorf("reading last version: %w", err)
		}
		stored = rec
		stored.Version = last + 1
		stored.CreatedAt = fromMicros(now.UnixMicro())
		stored.UpdatedAt = stored.CreatedAt
		if hasActive {
			stored.CreatedAt = active.CreatedAt
		}
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO workflow_versions
			(name, version, source, description, webhook_path, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, stored.Name, stored.Version, stored.Source, stored.Description,
			stored.WebhookPath, stored.Enabled, micros(stored.CreatedAt), micros(stored.UpdatedAt)); err != nil {
			return fmt.Errorf("inserting version: %w", err)
		}
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO workflows (name, version, webhook_path) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET version = excluded.version, webhook_path = excluded.webhook_path`,
			stored.Name, stored.Version, stored.WebhookPath); err != nil {
			return fmt.Errorf("activating version: %w", err)
		}
		changed = true
		return nil
	})
	if err != nil {
		return weft.WorkflowRecord{}, false, fmt.Errorf("storing workflow %q: %w", rec.Name, err)
	}
	return stored, changed, nil
}

// GetWorkflow returns the active version of a workflow.
func (s *Store) GetWorkflow(ctx context.Context, name string) (weft.WorkflowRecord, error) {
	r, err := scanWorkflow(s.rdb.QueryRowContext(ctx, activeWorkflowSQL+" WHERE a.name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return weft.WorkflowRecord{}, fmt.Errorf("workflow %q: %w", name, weft.ErrNotFound)
	}
	if err != nil {
		return weft.WorkflowRecord{}, fmt.Errorf("reading workflow %q: %w", name, err)
	}
	return r, nil
}

// GetWorkflowVersion returns one stored version, even of a deleted workflow.
func (s *Store) GetWorkflowVersion(ctx context.Context, name string, version int64) (weft.WorkflowRecord, error) {
	r, err := scanWorkflow(s.rdb.QueryRowContext(ctx, "SELECT "+workflowCols+
		" FROM workflow_versions v WHERE v.name = ? AND v.version = ?", name, version))
	if errors.Is(err, sql.ErrNoRows) {
		return weft.WorkflowRecord{}, fmt.Errorf("workflow %q version %d: %w", name, version, weft.ErrNotFound)
	}
	if err != nil {
		return weft.WorkflowRecord{}, fmt.Errorf("reading workflow %q version %d: %w", name, version, err)
	}
	return r, nil
}

// ListWorkflows lists active workflows ordered by name.
func (s *Store) ListWorkflows(ctx context.Context, page store.Page) ([]weft.WorkflowRecord, string, error) {
	limit := pageLimit(page.Limit)
	after := ""
	if page.Cursor != "" {
		var err error
		if after, err = parseWorkflowCursor(page.Cursor); err != nil {
			return nil, "", fmt.Errorf("listing workflows: %w", err)
		}
	}
	rows, err := s.rdb.QueryContext(ctx, activeWorkflowSQL+" WHERE a.name > ? ORDER BY a.name LIMIT ?", after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("listing workflows: %w", err)
	}
	defer rows.Close()
	out := make([]weft.WorkflowRecord, 0, limit)
	for rows.Next() {
		r, err := scanWorkflow(rows)
		if err != nil {
			return nil, "", fmt.Errorf("listing workflows: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("listing workflows: %w", err)
	}
	if len(out) > limit {
		out = out[:limit]
		return out, workflowCursor(out[limit-1].Name), nil
	}
	return out, "", nil
}

// DeleteWorkflow removes a workflow from the active set; its versions stay.
func (s *Store) DeleteWorkflow(ctx context.Context, name string) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM workflows WHERE name = ?", name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return weft.ErrNotFound
		}
		// The states of its polling and mailbox triggers go with it: a
		// workflow of that name created later starts afresh.
		_, err = w.conn.ExecContext(w.ctx, "DELETE FROM poll_states WHERE workflow IN (?, ?)", name, weft.IMAPPollKey(name))
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting workflow %q: %w", name, err)
	}
	return nil
}

// WorkflowByWebhookPath finds the active workflow serving path, enabled or
// not; the caller decides what a disabled one means.
func (s *Store) WorkflowByWebhookPath(ctx context.Context, path string) (weft.WorkflowRecord, error) {
	if path == "" {
		return weft.WorkflowRecord{}, fmt.Errorf("webhook path is empty: %w", weft.ErrNotFound)
	}
	r, err := scanWorkflow(s.rdb.QueryRowContext(ctx, activeWorkflowSQL+" WHERE a.webhook_path = ?", path))
	if errors.Is(err, sql.ErrNoRows) {
		return weft.WorkflowRecord{}, fmt.Errorf("workflow for webhook path %q: %w", path, weft.ErrNotFound)
	}
	if err != nil {
		return weft.WorkflowRecord{}, fmt.Errorf("finding workflow for webhook path %q: %w", path, err)
	}
	return r, nil
}
