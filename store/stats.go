package store

import (
	"context"
	"slices"
	"time"

	"github.com/weftworks/weft"
)

// Stats aggregates executions and step runs for the console's dashboard.
// The database is the truth across processes (Prometheus metrics are per
// process), so the numbers come from here.
type Stats interface {
	// ExecutionStats aggregates the executions created in [q.Since, q.Until)
	// and their step runs.
	ExecutionStats(ctx context.Context, q StatsQuery) (ExecutionStats, error)
}

// StatsQuery is the window of ExecutionStats.
type StatsQuery struct {
	Since, Until time.Time
	// Bucket is the width of the per-status time series (default 1m).
	Bucket time.Duration
	// MaxStepRuns bounds how many finished step runs (the newest executions'
	// first) the latency percentiles are computed from; default 20000.
	MaxStepRuns int
}

// WithDefaults fills in Bucket and MaxStepRuns.
func (q StatsQuery) WithDefaults() StatsQuery {
	if q.Bucket <= 0 {
		q.Bucket = time.Minute
	}
	if q.MaxStepRuns <= 0 {
		q.MaxStepRuns = 20000
	}
	return q
}

// ExecutionStats is what ExecutionStats reports.
type ExecutionStats struct {
	// Buckets counts executions by status per Bucket, oldest first; buckets
	// without executions are left out. Start is Since + k*Bucket.
	Buckets []StatusBucket
	// Workflows counts executions by workflow and status.
	Workflows []WorkflowCounts
	// Steps holds step latency (finished_at - started_at of finished step
	// runs) by step type, sorted by type.
	Steps []StepLatency
	// StepRunsSampled is how many step runs Steps was computed from, and
	// StepRunsTruncated says whether MaxStepRuns cut the sample.
	StepRunsSampled   int
	StepRunsTruncated bool
}

// StatusBucket is one time bucket of executions by status.
type StatusBucket struct {
	Start  time.Time
	Counts map[weft.ExecutionStatus]int
}

// WorkflowCounts is one workflow's executions by status.
type WorkflowCounts struct {
	Workflow string
	Counts   map[weft.ExecutionStatus]int
}

// StepLatency is the latency of one step type.
type StepLatency struct {
	Type     string
	Count    int
	Failed   int
	P50, P95 time.Duration
	Max      time.Duration
}

// StepSample is one finished step run, the input of SummarizeSteps.
type StepSample struct {
	Type     string
	Failed   bool
	Duration time.Duration
}

// SetSteps fills the step latency part of the stats from samples read newest
// first, at most max of them (a store reads max+1 to know it truncated).
func (out *ExecutionStats) SetSteps(samples []StepSample, max int) {
	if len(samples) > max {
		samples, out.StepRunsTruncated = samples[:max], true
	}
	out.StepRunsSampled = len(samples)
	out.Steps = SummarizeSteps(samples)
}

// SummarizeSteps turns samples into per-type latency (nearest-rank
// percentiles), so every store computes them the same way.
func SummarizeSteps(samples []StepSample) []StepLatency {
	by := map[string][]StepSample{}
	for _, s := range samples {
		by[s.Type] = append(by[s.Type], s)
	}
	out := make([]StepLatency, 0, len(by))
	for typ, ss := range by {
		d := make([]time.Duration, len(ss))
		failed := 0
		for i, s := range ss {
			d[i] = max(s.Duration, 0)
			if s.Failed {
				failed++
			}
		}
		slices.Sort(d)
		out = append(out, StepLatency{Type: typ, Count: len(d), Failed: failed, P50: rank(d, 0.50), P95: rank(d, 0.95), Max: d[len(d)-1]})
	}
	slices.SortFunc(out, func(a, b StepLatency) int {
		switch {
		case a.Type < b.Type:
			return -1
		case a.Type > b.Type:
			return 1
		}
		return 0
	})
	return out
}

// rank is the nearest-rank percentile p of sorted d (len(d) > 0).
func rank(d []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// StatsBuilder folds grouped counts (bucket index, workflow, status, count)
// into ExecutionStats' Buckets and Workflows; stores share it so that both
// shape the answer alike.
type StatsBuilder struct {
	q       StatsQuery
	buckets map[int64]map[weft.ExecutionStatus]int
	flows   map[string]map[weft.ExecutionStatus]int
}

// NewStatsBuilder starts an empty builder for q (defaults applied).
func NewStatsBuilder(q StatsQuery) *StatsBuilder {
	return &StatsBuilder{q: q.WithDefaults(), buckets: map[int64]map[weft.ExecutionStatus]int{}, flows: map[string]map[weft.ExecutionStatus]int{}}
}

// Add counts n executions of workflow in status st in bucket k.
func (b *StatsBuilder) Add(k int64, workflow string, st weft.ExecutionStatus, n int) {
	if b.buckets[k] == nil {
		b.buckets[k] = map[weft.ExecutionStatus]int{}
	}
	b.buckets[k][st] += n
	if b.flows[workflow] == nil {
		b.flows[workflow] = map[weft.ExecutionStatus]int{}
	}
	b.flows[workflow][st] += n
}

// Result returns the buckets oldest first and the workflows by name.
func (b *StatsBuilder) Result() ([]StatusBucket, []WorkflowCounts) {
	keys := make([]int64, 0, len(b.buckets))
	for k := range b.buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buckets := make([]StatusBucket, len(keys))
	for i, k := range keys {
		buckets[i] = StatusBucket{Start: b.q.Since.Add(time.Duration(k) * b.q.Bucket).UTC(), Counts: b.buckets[k]}
	}
	names := make([]string, 0, len(b.flows))
	for n := range b.flows {
		names = append(names, n)
	}
	slices.Sort(names)
	flows := make([]WorkflowCounts, len(names))
	for i, n := range names {
		flows[i] = WorkflowCounts{Workflow: n, Counts: b.flows[n]}
	}
	return buckets, flows
}
