package store

import (
	"context"

	"github.com/weftworks/weft"
)

// Usage keeps the token use and cost of AI model calls (connectors/ai and
// the gateway): one row per call, summed for budgets, the usage API and
// reports.
type Usage interface {
	// RecordUsage stores a record; a record whose ID exists already is
	// ignored, so a repeated write is harmless.
	RecordUsage(ctx context.Context, rec weft.UsageRecord) error
	// SumUsage totals the records matching q, grouped by q.GroupBy (one
	// total with an empty key when GroupBy is ""), ordered by key.
	SumUsage(ctx context.Context, q weft.UsageQuery) ([]weft.UsageTotal, error)
}
