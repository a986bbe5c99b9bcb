package storepg

import (
	"context"
	"fmt"
	"time"

	"github.com/weftworks/weft/store"
)

var (
	_ store.RateBuckets   = (*Store)(nil)
	_ store.CircuitStates = (*Store)(nil)
)

// takeRateToken is the generic cell rate algorithm in one statement: the
// bucket's theoretical arrival time (tat) moves one interval past
// max(tat, now) only while that stays within the tolerance of now. The row
// lock of the upsert orders concurrent takes; `old` reads the previous tat
// (from the statement's snapshot) to tell a refused take how long to wait.
const takeRateToken = `WITH up AS (
	INSERT INTO rate_buckets AS b (key, tat) VALUES ($1, $2::bigint + $3::bigint)
	ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, $2::bigint) + $3::bigint
	WHERE GREATEST(b.tat, $2::bigint) + $3::bigint - $4::bigint <= $2::bigint
	RETURNING tat)
SELECT (SELECT tat FROM up), (SELECT tat FROM rate_buckets WHERE key = $1)`

// TakeRateToken implements store.RateBuckets: one round trip, on an
// UNLOGGED table, so a take never waits for a WAL flush.
func (s *Store) TakeRateToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (bool, time.Duration, error) {
	if rate <= 0 {
		return false, 0, fmt.Errorf("rate bucket %q: rate must be positive, got %v", key, rate)
	}
	interval, tolerance := store.RateInterval(rate, burst)
	n := now.UnixNano()
	var took, old *int64
	if err := s.pool.QueryRow(ctx, takeRateToken, key, n, int64(interval), int64(tolerance)).Scan(&took, &old); err != nil {
		return false, 0, fmt.Errorf("taking a token from rate bucket %q: %w", key, err)
	}
	if took != nil {
		return true, 0, nil
	}
	wait := interval
	if old != nil {
		if w := time.Duration(max(*old, n) + int64(interval) - int64(tolerance) - n); w > 0 {
			wait = w
		}
	}
	return false, wait, nil
}

// OpenCircuit implements store.CircuitStates. Rows of circuits closed for
// an hour are dropped on the way, so the table holds only recent hosts.
func (s *Store) OpenCircuit(ctx context.Context, host string, until time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO circuit_states AS c (host, open_until) VALUES ($1, $2)
		ON CONFLICT (host) DO UPDATE SET open_until = GREATEST(c.open_until, excluded.open_until)`, host, until); err != nil {
		return fmt.Errorf("recording the open circuit of %q: %w", host, err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM circuit_states WHERE open_until < $1`, until.Add(-time.Hour)); err != nil {
		return fmt.Errorf("pruning closed circuits: %w", err)
	}
	return nil
}

// maxOpenCircuits bounds what one OpenCircuits reads.
const maxOpenCircuits = 10000

// OpenCircuits implements store.CircuitStates.
func (s *Store) OpenCircuits(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT host, open_until FROM circuit_states WHERE open_until > $1
		ORDER BY open_until DESC LIMIT $2`, now, maxOpenCircuits)
	if err != nil {
		return nil, fmt.Errorf("reading open circuits: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var h string
		var until time.Time
		if err := rows.Scan(&h, &until); err != nil {
			return nil, fmt.Errorf("reading open circuits: %w", err)
		}
		out[h] = until
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading open circuits: %w", err)
	}
	return out, nil
}
