package storepg

import (
	"context"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Usage = (*Store)(nil)

// RecordUsage implements store.Usage.
func (s *Store) RecordUsage(ctx context.Context, r weft.UsageRecord) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO ai_usage (id, at, workflow, execution_id, step_id, credential,
		provider, model, input_tokens, output_tokens, cached_tokens, cost_usd) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO NOTHING`,
		r.ID, r.At.UTC(), r.Workflow, r.ExecutionID, r.StepID, r.Credential, r.Provider, r.Model,
		r.InputTokens, r.OutputTokens, r.CachedTokens, r.CostUSD)
	if err != nil {
		return fmt.Errorf("recording AI usage: %w", err)
	}
	return nil
}

// SumUsage implements store.Usage.
func (s *Store) SumUsage(ctx context.Context, q weft.UsageQuery) ([]weft.UsageTotal, error) {
	var key string
	switch q.GroupBy {
	case "":
		key = "''"
	case weft.UsageByWorkflow:
		key = "workflow"
	case weft.UsageByExecution:
		key = "execution_id"
	case weft.UsageByStep:
		key = "workflow || '/' || step_id"
	case weft.UsageByModel:
		key = "provider || '/' || model"
	default:
		return nil, fmt.Errorf("usage group %q: %w", q.GroupBy, weft.ErrInvalid)
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Workflow != "" {
		add("workflow = $%d", q.Workflow)
	}
	if q.Credential != "" {
		add("credential = $%d", q.Credential)
	}
	if !q.From.IsZero() {
		add("at >= $%d", q.From.UTC())
	}
	if !q.To.IsZero() {
		add("at < $%d", q.To.UTC())
	}
	sql := "SELECT " + key + " AS k, COUNT(*), COALESCE(SUM(input_tokens), 0)::bigint, COALESCE(SUM(output_tokens), 0)::bigint, " +
		"COALESCE(SUM(cached_tokens), 0)::bigint, COALESCE(SUM(cost_usd), 0)::double precision FROM ai_usage"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " GROUP BY 1 ORDER BY 1"
	rows, err := s.pool.Query(ctx, sql, args...)
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
		out = append(out, t)
	}
	return out, rows.Err()
}
