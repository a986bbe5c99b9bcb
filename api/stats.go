package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// maxStatsWindow bounds ?since= of GET /api/v1/stats.
const maxStatsWindow = 7 * 24 * time.Hour

// statsView is the dashboard's answer. It comes from the store, not from
// this process' Prometheus metrics, so every process behind one PostgreSQL
// shows the same numbers.
type statsView struct {
	Since         time.Time            `json:"since"`
	Until         time.Time            `json:"until"`
	BucketSeconds int                  `json:"bucket_seconds"`
	Total         int                  `json:"total"`
	ByStatus      map[string]int       `json:"by_status"`
	ErrorRate     float64              `json:"error_rate"` // failed / (succeeded + failed); 0 when none finished
	PerBucket     []statsBucket        `json:"per_bucket"`
	TopFailing    []statsWorkflow      `json:"top_failing"`
	StepLatency   []statsStepLatency   `json:"step_latency"`
	Sample        statsStepLatencyInfo `json:"step_sample"`
}

type statsBucket struct {
	Start  time.Time      `json:"start"`
	Counts map[string]int `json:"counts"`
}

type statsWorkflow struct {
	Workflow string  `json:"workflow"`
	Failed   int     `json:"failed"`
	Total    int     `json:"total"`
	Rate     float64 `json:"error_rate"`
}

type statsStepLatency struct {
	Type   string  `json:"type"`
	Count  int     `json:"count"`
	Failed int     `json:"failed"`
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	Max    float64 `json:"max_ms"`
}

type statsStepLatencyInfo struct {
	StepRuns  int  `json:"step_runs"`
	Truncated bool `json:"truncated"`
}

// getStats aggregates the executions created in the last ?since= (default
// 1h, at most 7d) into ?bucket= wide buckets (default: a minute, or what
// keeps the series at most 360 points).
func (s *server) getStats(w http.ResponseWriter, r *http.Request) {
	since, err := durationParam(r, "since", time.Hour)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if since <= 0 || since > maxStatsWindow {
		writeError(w, r, s.log, invalidParam("since", "use a window longer than 0 and at most %s, like since=1h", maxStatsWindow))
		return
	}
	bucket, err := durationParam(r, "bucket", max(time.Minute, (since/360).Truncate(time.Minute)))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if bucket < time.Second || since/bucket > 2000 {
		writeError(w, r, s.log, invalidParam("bucket", "use a bucket of at least 1s and at most 2000 buckets per window, like bucket=1m"))
		return
	}
	// Buckets line up on whole multiples of their width, so a refresh keeps them.
	now := s.cfg.Now().UTC()
	until := now.Truncate(bucket).Add(bucket)
	q := store.StatsQuery{Since: until.Add(-since).Truncate(bucket), Until: until, Bucket: bucket}
	st, err := s.store.ExecutionStats(r.Context(), q)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newStatsView(q, st))
}

func newStatsView(q store.StatsQuery, st store.ExecutionStats) statsView {
	v := statsView{
		Since: q.Since, Until: q.Until, BucketSeconds: int(q.Bucket / time.Second),
		ByStatus: map[string]int{}, PerBucket: []statsBucket{}, TopFailing: []statsWorkflow{}, StepLatency: []statsStepLatency{},
		Sample: statsStepLatencyInfo{StepRuns: st.StepRunsSampled, Truncated: st.StepRunsTruncated},
	}
	for _, b := range st.Buckets {
		c := make(map[string]int, len(b.Counts))
		for k, n := range b.Counts {
			c[string(k)] = n
		}
		v.PerBucket = append(v.PerBucket, statsBucket{Start: b.Start, Counts: c})
	}
	for _, wf := range st.Workflows {
		total := 0
		for k, n := range wf.Counts {
			v.ByStatus[string(k)] += n
			total += n
		}
		v.Total += total
		if f := wf.Counts[weft.ExecutionFailed]; f > 0 {
			v.TopFailing = append(v.TopFailing, statsWorkflow{Workflow: wf.Workflow, Failed: f, Total: total, Rate: rate(f, f+wf.Counts[weft.ExecutionSucceeded])})
		}
	}
	slices.SortStableFunc(v.TopFailing, func(a, b statsWorkflow) int { return b.Failed - a.Failed })
	if len(v.TopFailing) > 10 {
		v.TopFailing = v.TopFailing[:10]
	}
	v.ErrorRate = rate(v.ByStatus[string(weft.ExecutionFailed)], v.ByStatus[string(weft.ExecutionFailed)]+v.ByStatus[string(weft.ExecutionSucceeded)])
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, l := range st.Steps {
		v.StepLatency = append(v.StepLatency, statsStepLatency{Type: l.Type, Count: l.Count, Failed: l.Failed, P50: ms(l.P50), P95: ms(l.P95), Max: ms(l.Max)})
	}
	return v
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// durationParam reads a duration query parameter (30s, 5m, 1h, 7d).
func durationParam(r *http.Request, name string, def time.Duration) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	d, err := weft.ParseDuration(v)
	if err != nil {
		return 0, invalidParam(name, "%v", err)
	}
	return d.D(), nil
}
