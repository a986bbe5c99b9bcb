package storesqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Usage = (*Store)(nil)

// RecordUsage implements store.Usage.
func (s *Store) RecordUsage(ctx context.Context, r weft.UsageRecord) error {
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		_, err := w.conn.ExecContext(w.ctx, `INSERT INTO ai_usage (id, at, workflow, execution_id, step_id, credential,
			provider, model, input_tokens, output_tokens, cached_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			r.ID, r.At.UnixMicro(), r.Workflow, r.ExecutionID, r.StepID, r.Credential, r.Provider, r.Model,
			r.InputTokens, r.OutputTokens, r.CachedTokens, r.CostUSD)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording AI usage: %w", err)
	}
	return nil
}

// usageGroupExpr is the SQL of a grouping's key.
func usageGroupExpr(g weft.UsageGroup) (string, error) {
	switch g {
	case "":
		return "''", nil
	case weft.UsageByWorkflow:
		return "workflow", nil
	case weft.UsageByExecution:
		return "execution_id", nil
	case weft.UsageByStep:
		return "workflow || '/' || step_id", nil
	case weft.UsageByModel:
		return "provider || '/' || model", nil
	}
	return "", fmt.Errorf("usage group %q: %w", g, weft.ErrInvalid)
}

// SumUsage implements store.Usage.
func (s *Store) SumUsage(ctx context.Context, q weft.UsageQuery) ([]weft.UsageTotal, error) {
	key, err := usageGroupExpr(q.GroupBy)
	if err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if q.Workflow != "" {
		where, args = append(where, "workflow = ?"), append(args, q.Workflow)
	}
	if q.Credential != "" {
		where, args = append(where, "credential = ?"), append(args, q.Credential)
	}
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, q.To.UnixMicro())
	}
	sql := "SELECT " + key + " AS k, COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), " +
		"COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(cost_usd), 0) FROM ai_usage"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " GROUP BY k ORDER BY k"
	rows, err := s.rdb.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("summing AI usage: %w", err)
	}
	defer rows.Close()
	var out []weft.UsageTotal
	for rows.Next() {
		var t weft.UsageTotal
		if err := rows.Scan(&t.Key, &t.Calls, &t.InputTokens, &t.OutputTokens, &t.CachedTokens, &t.CostUSD); err != nil {
			return nil, fmt.Errorf("summing AI usage: %w", err)
		}
		if t.Calls > 0 {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}
