package alert

import (
	"context"
	"sort"
	"time"
)

// Stats are a workflow's executions that finished in a window.
type Stats struct {
	Finished, Failed int
	// Durations of the finished executions (started to finished).
	Durations []time.Duration
}

// Source is what rules are evaluated on.
type Source interface {
	// Finished summarizes the executions of workflow that finished at or
	// after since.
	Finished(ctx context.Context, workflow string, since time.Time) (Stats, error)
	// LastTriggered is when an execution of workflow was last started by
	// its trigger (webhook, schedule or queue); ok is false if never.
	LastTriggered(ctx context.Context, workflow string) (at time.Time, ok bool, err error)
	// FailedDeliveries counts outbound webhook deliveries that failed at or
	// after since.
	FailedDeliveries(ctx context.Context, since time.Time) (int, error)
	// CircuitOpen reports whether a breaker of connection is open.
	CircuitOpen(connection string) bool
	// BudgetSpent is the share spent of the AI budget of workflow or
	// credential in its current period; ok is false when no budget is
	// configured for it.
	BudgetSpent(ctx context.Context, workflow, credential string) (share float64, ok bool, err error)
}

// p95 is the nearest-rank 95th percentile.
func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := (95*len(s) + 99) / 100 // ceil(0.95 n)
	return s[rank-1]
}
