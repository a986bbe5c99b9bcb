package storepg

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

var _ store.Stats = (*Store)(nil)

// ExecutionStats aggregates executions created in [q.Since, q.Until) with
// two queries over the executions_created index.
func (s *Store) ExecutionStats(ctx context.Context, q store.StatsQuery) (store.ExecutionStats, error) {
	q = q.WithDefaults()
	since, until := q.Since.UTC(), q.Until.UTC()
	var out store.ExecutionStats

	rows, err := s.pool.Query(ctx, `SELECT floor(extract(epoch FROM created_at - $1) * 1000000 / $2)::bigint AS b, workflow, status, count(*)
		FROM executions WHERE created_at >= $1 AND created_at < $3 GROUP BY 1, 2, 3 ORDER BY 1`, since, q.Bucket.Microseconds(), until)
	if err != nil {
		return out, fmt.Errorf("reading execution stats: %w", err)
	}
	agg := store.NewStatsBuilder(q)
	for rows.Next() {
		var (
			b      int64
			wf, st string
			n      int64
		)
		if err := rows.Scan(&b, &wf, &st, &n); err != nil {
			rows.Close()
			return out, fmt.Errorf("reading execution stats: %w", err)
		}
		agg.Add(b, wf, weft.ExecutionStatus(st), int(n))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading execution stats: %w", err)
	}
	out.Buckets, out.Workflows = agg.Result()

	// Step runs are in step_runs rows or kept in their execution's row
	// (store.InlineStepRuns): the newest limit of each, merged.
	limit := q.MaxStepRuns + 1
	rows, err = s.pool.Query(ctx, `SELECT e.created_at, r.type, r.status, (extract(epoch FROM r.finished_at - r.started_at) * 1000000)::bigint
		FROM executions e JOIN step_runs r ON r.execution_id = e.id
		WHERE e.created_at >= $1 AND e.created_at < $2 AND r.started_at IS NOT NULL AND r.finished_at IS NOT NULL AND r.item = $3
		ORDER BY e.created_at DESC LIMIT $4`, since, until, weft.WholeStep, limit)
	if err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	var fromRows []store.DatedSample
	for rows.Next() {
		var (
			created time.Time
			typ, st string
			us      int64
		)
		if err := rows.Scan(&created, &typ, &st, &us); err != nil {
			rows.Close()
			return out, fmt.Errorf("reading step latency: %w", err)
		}
		fromRows = append(fromRows, store.DatedSample{Created: created.UnixMicro(), StepSample: store.StepSample{Type: typ,
			Failed: st == string(weft.StepFailed), Duration: time.Duration(us) * time.Microsecond}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	// Not every step run kept in a row is a sample (an item of a for_each,
	// a skipped step): read pages of executions until there are enough.
	inline, err := s.inlineSamples(ctx, since, until, limit)
	if err != nil {
		return out, fmt.Errorf("reading step latency: %w", err)
	}
	out.SetSteps(store.MergeSamples(fromRows, inline, limit), q.MaxStepRuns)
	return out, nil
}

// inlineSamples reads the samples of the step runs kept in the rows of
// executions created in [since, until), newest first, at least limit of
// them when there are that many.
func (s *Store) inlineSamples(ctx context.Context, since, until time.Time, limit int) ([]store.DatedSample, error) {
	var (
		out      []store.DatedSample
		lastAt   = until
		lastID   = ""
		first    = true
		pageSize = min(limit, 1000)
	)
	for len(out) < limit {
		rows, err := s.pool.Query(ctx, `SELECT id, created_at, steps FROM executions
			WHERE created_at >= $1 AND (created_at < $2 OR ($3 AND created_at = $2 AND id < $4)) AND steps IS NOT NULL
			ORDER BY created_at DESC, id DESC LIMIT $5`, since, lastAt, !first, lastID, pageSize)
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			var steps []byte
			if err := rows.Scan(&lastID, &lastAt, &steps); err != nil {
				rows.Close()
				return nil, err
			}
			n++
			if out, err = store.AppendInlineSamples(out, lastID, lastAt.UnixMicro(), steps); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n < pageSize {
			break
		}
		first = false
	}
	return out, nil
}
