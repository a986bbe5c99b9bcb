package storesqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Stats = (*Store)(nil)

// ExecutionStats aggregates executions created in [q.Since, q.Until) with
// three read-only queries over the executions_created index.
func (s *Store) ExecutionStats(ctx context.Context, q store.StatsQuery) (store.ExecutionStats, error) {
	q = q.WithDefaults()
	since, until, bucket := micros(q.Since), micros(q.Until), q.Bucket.Microseconds()
	var out store.ExecutionStats

	rows, err := s.rdb.QueryContext(ctx, `SELECT (created_at - ?) / ?, workflow, status, COUNT(*) FROM executions
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3 ORDER BY 1`, since, bucket, since, until)
	if err != nil {
		return out, fmt.Errorf("reading execution stats: %w", err)
	}
	agg := store.NewStatsBuilder(q)
	for rows.Next() {
		var (
			b      int64
			wf, st string
			n      int
		)
		if err := rows.Scan(&b, &wf, &st, &n); err != nil {
			rows.Close()
			return out, fmt.Errorf("reading execution stats: %w", err)
		}
		agg.Add(b, wf, weft.ExecutionStatus(st), n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading execution stats: %w", err)
	}
	out.Buckets, out.Workflows = agg.Result()

	// Step runs are in step_runs rows or kept in their execution's row
	// (store.InlineStepRuns): the newest max+1 of each, merged.
	limit := q.MaxStepRuns + 1
	rows, err = s.rdb.QueryContext(ctx, `SELECT e.created_at, r.type, r.status, r.finished_at - r.started_at FROM executions e
		JOIN step_runs r ON r.execution_id = e.id
		WHERE e.created_at >= ? AND e.created_at < ? AND r.started_at IS NOT NULL AND r.finished_at IS NOT NULL AND r.item = ?
		ORDER BY e.created_at DESC LIMIT ?`, since, until, weft.WholeStep, limit)
	if err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	var fromRows []store.DatedSample
	for rows.Next() {
		var (
			typ, st     string
			created, us int64
		)
		if err := rows.Scan(&created, &typ, &st, &us); err != nil {
			rows.Close()
			return out, fmt.Errorf("reading step latency: %w", err)
		}
		fromRows = append(fromRows, store.DatedSample{Created: created, StepSample: store.StepSample{Type: typ,
			Failed: st == string(weft.StepFailed), Duration: time.Duration(us) * time.Microsecond}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	// Not every step run kept in a row is a sample (an item of a for_each,
	// a skipped step): read executions until there are enough.
	rows, err = s.rdb.QueryContext(ctx, `SELECT id, created_at, steps FROM executions
		WHERE created_at >= ? AND created_at < ? AND steps IS NOT NULL
		ORDER BY created_at DESC`, since, until)
	if err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	defer rows.Close()
	var inline []store.DatedSample
	for len(inline) < limit && rows.Next() {
		var (
			id      string
			created int64
			steps   []byte
		)
		if err := rows.Scan(&id, &created, &steps); err != nil {
			return out, fmt.Errorf("reading step latency: %w", err)
		}
		if inline, err = store.AppendInlineSamples(inline, id, created, steps); err != nil {
			return out, fmt.Errorf("reading step latency: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	out.SetSteps(store.MergeSamples(fromRows, inline, limit), q.MaxStepRuns)
	return out, nil
}
