package ai

import (
	"context"
	"sort"
	"sync"

	"github.com/weftworks/weft"
)

// UsageStore keeps usage records and sums them (for budgets and the usage
// API). The SQLite and PostgreSQL stores implement it; MemoryUsage is the
// in-process default.
type UsageStore interface {
	// RecordUsage stores a record; a second record with the same ID is ignored.
	RecordUsage(ctx context.Context, rec weft.UsageRecord) error
	// SumUsage totals the records matching q, grouped by q.GroupBy.
	SumUsage(ctx context.Context, q weft.UsageQuery) ([]weft.UsageTotal, error)
}

// MemoryUsage is a UsageStore in memory (tests, `weft run`).
type MemoryUsage struct {
	mu   sync.Mutex
	recs map[string]weft.UsageRecord
}

var _ UsageStore = (*MemoryUsage)(nil)

// NewMemoryUsage returns an empty MemoryUsage.
func NewMemoryUsage() *MemoryUsage { return &MemoryUsage{recs: map[string]weft.UsageRecord{}} }

// RecordUsage stores rec unless its ID is known.
func (m *MemoryUsage) RecordUsage(_ context.Context, rec weft.UsageRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[rec.ID]; !ok {
		m.recs[rec.ID] = rec
	}
	return nil
}

// SumUsage totals the matching records.
func (m *MemoryUsage) SumUsage(_ context.Context, q weft.UsageQuery) ([]weft.UsageTotal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	by := map[string]*weft.UsageTotal{}
	for _, r := range m.recs {
		if !Matches(q, r) {
			continue
		}
		k := GroupKey(q.GroupBy, r)
		t := by[k]
		if t == nil {
			t = &weft.UsageTotal{Key: k}
			by[k] = t
		}
		t.Calls++
		t.InputTokens += r.InputTokens
		t.OutputTokens += r.OutputTokens
		t.CachedTokens += r.CachedTokens
		t.CostUSD += r.CostUSD
	}
	out := make([]weft.UsageTotal, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Matches reports whether r is selected by q (ignoring GroupBy).
func Matches(q weft.UsageQuery, r weft.UsageRecord) bool {
	return (q.Workflow == "" || q.Workflow == r.Workflow) &&
		(q.Credential == "" || q.Credential == r.Credential) &&
		(q.From.IsZero() || !r.At.Before(q.From)) &&
		(q.To.IsZero() || r.At.Before(q.To))
}

// GroupKey is r's key under grouping g.
func GroupKey(g weft.UsageGroup, r weft.UsageRecord) string {
	switch g {
	case weft.UsageByWorkflow:
		return r.Workflow
	case weft.UsageByExecution:
		return r.ExecutionID
	case weft.UsageByStep:
		return r.Workflow + "/" + r.StepID
	case weft.UsageByModel:
		return r.Provider + "/" + r.Model
	}
	return ""
}
