package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func statsTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"BucketsWorkflowsAndLatency": testStatsAggregates,
		"Empty":                      testStatsEmpty,
	}
}

// testStatsAggregates stores executions over three minutes (and one outside
// the window on each side) with timed step runs, and checks every number.
func testStatsAggregates(t *testing.T, s store.Store) {
	window := store.StatsQuery{Since: at(0), Until: at(3 * time.Minute), Bucket: time.Minute}
	type ex struct {
		wf     string
		minute time.Duration
		status weft.ExecutionStatus
		steps  []time.Duration // "fetch" step runs' durations; a failed execution's last one failed
	}
	for i, e := range []ex{
		{"orders", 0, weft.ExecutionSucceeded, []time.Duration{10 * time.Millisecond}},
		{"orders", 0, weft.ExecutionFailed, []time.Duration{20 * time.Millisecond}},
		{"orders", 1, weft.ExecutionFailed, []time.Duration{30 * time.Millisecond}},
		{"tickets", 1, weft.ExecutionSucceeded, []time.Duration{40 * time.Millisecond}},
		{"tickets", 2, weft.ExecutionRunning, nil},
		{"tickets", -1, weft.ExecutionFailed, []time.Duration{time.Second}}, // before Since
		{"tickets", 3, weft.ExecutionFailed, []time.Duration{time.Second}},  // at Until: outside
	} {
		created := at(e.minute*time.Minute + time.Duration(i)*time.Second)
		x := newExecution(fmt.Sprintf("stats-%d", i), e.wf, created)
		x.Status = e.status
		mustCreate(t, s, x)
		var runs []weft.StepRun
		for _, d := range e.steps {
			st := weft.StepSucceeded
			if e.status == weft.ExecutionFailed {
				st = weft.StepFailed
			}
			start, end := created.Add(time.Millisecond), created.Add(time.Millisecond+d)
			runs = append(runs, weft.StepRun{ExecutionID: x.ID, StepID: "fetch", Item: weft.WholeStep, Type: "http.request", Status: st, Attempts: 1, StartedAt: &start, FinishedAt: &end},
				// for_each items are not counted: the whole step is.
				weft.StepRun{ExecutionID: x.ID, StepID: "fetch", Item: 0, Type: "http.request", Status: st, Attempts: 1, StartedAt: &start, FinishedAt: &end})
		}
		// A step that has not finished has no latency yet.
		runs = append(runs, weft.StepRun{ExecutionID: x.ID, StepID: "later", Item: weft.WholeStep, Type: "transform", Status: weft.StepPending})
		mustApply(t, s, store.Mutation{ExecutionID: x.ID, StepRuns: runs})
	}

	got, err := s.ExecutionStats(ctxFor(t), window)
	if err != nil {
		t.Fatal(err)
	}
	wantBuckets := []store.StatusBucket{
		{Start: at(0), Counts: map[weft.ExecutionStatus]int{weft.ExecutionSucceeded: 1, weft.ExecutionFailed: 1}},
		{Start: at(time.Minute), Counts: map[weft.ExecutionStatus]int{weft.ExecutionFailed: 1, weft.ExecutionSucceeded: 1}},
		{Start: at(2 * time.Minute), Counts: map[weft.ExecutionStatus]int{weft.ExecutionRunning: 1}},
	}
	if len(got.Buckets) != len(wantBuckets) {
		t.Fatalf("buckets = %+v, want %+v", got.Buckets, wantBuckets)
	}
	for i, w := range wantBuckets {
		g := got.Buckets[i]
		if !g.Start.Equal(w.Start) || fmt.Sprint(g.Counts) != fmt.Sprint(w.Counts) {
			t.Errorf("bucket %d = %v %v, want %v %v", i, g.Start, g.Counts, w.Start, w.Counts)
		}
	}
	wantFlows := "[{orders map[failed:2 succeeded:1]} {tickets map[running:1 succeeded:1]}]"
	if fmt.Sprint(got.Workflows) != wantFlows {
		t.Errorf("workflows = %v, want %s", got.Workflows, wantFlows)
	}
	if len(got.Steps) != 1 {
		t.Fatalf("steps = %+v, want http.request only", got.Steps)
	}
	lat := got.Steps[0]
	if lat.Type != "http.request" || lat.Count != 4 || lat.Failed != 2 || lat.P50 != 20*time.Millisecond || lat.P95 != 40*time.Millisecond || lat.Max != 40*time.Millisecond {
		t.Errorf("latency = %+v, want 4 http.request runs, 2 failed, p50 20ms, p95 40ms", lat)
	}
	if got.StepRunsSampled != 4 || got.StepRunsTruncated {
		t.Errorf("sampled %d (truncated %v), want 4", got.StepRunsSampled, got.StepRunsTruncated)
	}

	// MaxStepRuns keeps the newest executions' step runs.
	window.MaxStepRuns = 2
	got, err = s.ExecutionStats(ctxFor(t), window)
	if err != nil {
		t.Fatal(err)
	}
	if !got.StepRunsTruncated || got.StepRunsSampled != 2 || got.Steps[0].Max != 40*time.Millisecond || got.Steps[0].P50 != 30*time.Millisecond {
		t.Errorf("truncated sample = %+v (sampled %d, truncated %v), want the newest two: 30ms and 40ms", got.Steps, got.StepRunsSampled, got.StepRunsTruncated)
	}
}

func testStatsEmpty(t *testing.T, s store.Store) {
	got, err := s.ExecutionStats(ctxFor(t), store.StatsQuery{Since: at(0), Until: at(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Buckets) != 0 || len(got.Workflows) != 0 || len(got.Steps) != 0 {
		t.Errorf("empty store: %+v", got)
	}
}
