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

const activeWorkflowSQL = "SELECT " + workflowCols + ` FROM workflows a
	JOIN workflow_versions v ON v.name = a.name AND v.version = a.version`

// PutWorkflow stores rec as a new version unless it equals the active one;
// see store.Workflows. Puts of one name are serialized by an advisory lock.
// It returns weft.ErrConflict when another active workflow already serves
// rec.WebhookPath.
func (s *Store) PutWorkflow(ctx context.Context, rec weft.WorkflowRecord) (weft.WorkflowRecord, bool, error) {
	if !weft.NamePattern.MatchString(rec.Name) {
		return weft.WorkflowRecord{}, false, fmt.Errorf("storing workflow %q: name must match %s: %w", rec.Name, weft.NamePattern, weft.ErrInvalid)
	}
	var (
		stored  weft.WorkflowRecord
		changed bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", lockWorkflow, rec.Name); err != nil {
			return fmt.Errorf("locking workflow: %w", err)
		}
		active, err := scanWorkflow(tx.QueryRow(ctx, activeWorkflowSQL+" WHERE a.name = $1", rec.Name))
		hasActive := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("reading active version: %w", err)
		}
		if hasActive && active.Source == rec.Source && active.Enabled == rec.Enabled {
			stored, changed = active, false
			return nil
		}
		if rec.WebhookPath != "" {
			var other string
			err := tx.QueryRow(ctx, "SELECT name FROM workflows WHERE webhook_path = $1 AND name <> $2",
				rec.WebhookPath, rec.Name).Scan(&other)
			if err == nil {
				return fmt.Errorf("webhook path %q is served by workflow %q: %w", rec.WebhookPath, other, weft.ErrConflict)
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("checking webhook path: %w", err)
			}
		}
		var last int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM workflow_versions WHERE name = $1",
			rec.Name).Scan(&last); err != nil {
			return fmt.Errorf("reading last version: %w", err)
		}
		stored = rec
		stored.Version = last + 1
		stored.CreatedAt = ts(time.Now()).UTC()
		stored.UpdatedAt = stored.CreatedAt
		if hasActive {
			stored.CreatedAt = active.CreatedAt
		}
		if _, err := tx.Exec(ctx, `INSERT INTO workflow_versions
			(name, version, source, description, webhook_path, enabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, stored.Name, stored.Version, stored.Source, stored.Description,
			stored.WebhookPath, stored.Enabled, stored.CreatedAt, stored.UpdatedAt); err != nil {
			return fmt.Errorf("inserting version: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO workflows (name, version, webhook_path) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET version = excluded.version, webhook_path = excluded.webhook_path`,
			stored.Name, stored.Version, stored.WebhookPath); err != nil {
			if pgCode(err) == codeUnique { // another process took the path meanwhile
				return fmt.Errorf("webhook path %q is taken: %w", rec.WebhookPath, weft.ErrConflict)
			}
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
	r, err := scanWorkflow(s.pool.QueryRow(ctx, activeWorkflowSQL+" WHERE a.name = $1", name))
	if errors.Is(err, pgx.ErrNoRows) {
		return weft.WorkflowRecord{}, fmt.Errorf("workflow %q: %w", name, weft.ErrNotFound)
	}
	if err != nil {
		return weft.WorkflowRecord{}, fmt.Errorf("reading workflow %q: %w", name, err)
	}
	return r, nil
}

// GetWorkflowVersion returns one stored version, even of a deleted workflow.
func (s *Store) GetWorkflowVersion(ctx context.Context, name string, version int64) (weft.WorkflowRecord, error) {
	r, err := scanWorkflow(s.pool.QueryRow(ctx, "SELECT "+workflowCols+
		" FROM workflow_versions v WHERE v.name = $1 AND v.version = $2", name, version))
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := s.pool.Query(ctx, activeWorkflowSQL+" WHERE a.name > $1 ORDER BY a.name LIMIT $2", after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("listing workflows: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (weft.WorkflowRecord, error) { return scanWorkflow(r) })
	if err != nil {
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
	// One statement: the states of its polling and mailbox triggers go with
	// it, so a workflow of that name created later starts afresh.
	var n int
	err := s.pool.QueryRow(ctx, `WITH gone AS (DELETE FROM workflows WHERE name = $1 RETURNING name),
		states AS (DELETE FROM poll_states WHERE workflow IN ($1, $2) AND EXISTS (SELECT 1 FROM gone))
		SELECT count(*) FROM gone`, name, weft.IMAPPollKey(name)).Scan(&n)
	if err != nil {
		return fmt.Errorf("deleting workflow %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("deleting workflow %q: %w", name, weft.ErrNotFound)
	}
	return nil
}

// WorkflowByWebhookPath finds the active workflow serving path, enabled or
// not; the caller decides what a disabled one means.
func (s *Store) WorkflowByWebhookPath(ctx context.Context, path string) (weft.WorkflowRecord, error) {
	if path == "" {
		return weft.WorkflowRecord{}, fmt.Errorf("webhook path is empty: %w", weft.ErrNotFound)
	}
	r, err := scanWorkflow(s.pool.QueryRow(ctx, activeWorkflowSQL+" WHERE a.webhook_path = $1", path))
	if errors.Is(err, pgx.ErrNoRows) {
		return weft.WorkflowRecord{}, fmt.Errorf("workflow for webhook path %q: %w", path, weft.ErrNotFound)
	}
	if err != nil {
		return weft.WorkflowRecord{}, fmt.Errorf("finding workflow for webhook path %q: %w", path, err)
	}
	return r, nil
}
