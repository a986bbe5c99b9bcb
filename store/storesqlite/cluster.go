package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft/store"
)

var (
	_ store.RateBuckets   = (*Store)(nil)
	_ store.CircuitStates = (*Store)(nil)
)

// TakeRateToken implements store.RateBuckets with the generic cell rate
// algorithm; the single writer makes each take atomic.
func (s *Store) TakeRateToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (bool, time.Duration, error) {
	if rate <= 0 {
		return false, 0, fmt.Errorf("rate bucket %q: rate must be positive, got %v", key, rate)
	}
	interval, tolerance := store.RateInterval(rate, burst)
	n := now.UnixNano()
	var ok bool
	var wait time.Duration
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		var tat int64
		err := w.conn.QueryRowContext(w.ctx, "SELECT tat FROM rate_buckets WHERE key = ?", key).Scan(&tat)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading rate bucket %q: %w", key, err)
		}
		next := max(tat, n) + int64(interval)
		if next-int64(tolerance) > n {
			ok, wait = false, time.Duration(next-int64(tolerance)-n)
			return nil
		}
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO rate_buckets (key, tat) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET tat = excluded.tat`, key, next); err != nil {
			return fmt.Errorf("writing rate bucket %q: %w", key, err)
		}
		ok, wait = true, 0
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	return ok, wait, nil
}

// OpenCircuit implements store.CircuitStates.
func (s *Store) OpenCircuit(ctx context.Context, host string, until time.Time) error {
	return s.do(ctx, func(w *writer, _ time.Time) error {
		if _, err := w.conn.ExecContext(w.ctx, `INSERT INTO circuit_states (host, open_until) VALUES (?, ?)
			ON CONFLICT (host) DO UPDATE SET open_until = MAX(open_until, excluded.open_until)`, host, until.UnixMicro()); err != nil {
			return fmt.Errorf("recording the open circuit of %q: %w", host, err)
		}
		if _, err := w.conn.ExecContext(w.ctx, `DELETE FROM circuit_states WHERE open_until < ?`, until.Add(-time.Hour).UnixMicro()); err != nil {
			return fmt.Errorf("pruning closed circuits: %w", err)
		}
		return nil
	})
}

// maxOpenCircuits bounds what one OpenCircuits reads.
const maxOpenCircuits = 10000

// OpenCircuits implements store.CircuitStates.
func (s *Store) OpenCircuits(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT host, open_until FROM circuit_states WHERE open_until > ?
		ORDER BY open_until DESC LIMIT ?`, now.UnixMicro(), maxOpenCircuits)
	if err != nil {
		return nil, fmt.Errorf("reading open circuits: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var h string
		var until int64
		if err := rows.Scan(&h, &until); err != nil {
			return nil, fmt.Errorf("reading open circuits: %w", err)
		}
		out[h] = time.UnixMicro(until).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading open circuits: %w", err)
	}
	return out, nil
}
