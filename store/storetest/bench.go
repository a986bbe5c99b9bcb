package storetest

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// BenchmarkApply measures Apply throughput with 64 concurrent callers per
// GOMAXPROCS. Each caller alternates a create (execution with a lease and
// its first step run) and a fenced patch (status, output, step run update),
// the engine's two commonest writes. It reports applies/s.
func BenchmarkApply(b *testing.B, s store.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	input := json.RawMessage(`{"order":{"id":"ord_123","amount":4200,"currency":"eur"}}`)
	until := time.Now().Add(time.Hour)
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var id string
		create := true
		for pb.Next() {
			var m store.Mutation
			if create {
				id = "bench-" + strconv.FormatInt(seq.Add(1), 10)
				m = store.Mutation{
					Create: &weft.Execution{ID: id, Workflow: "bench", WorkflowVersion: 1, Status: weft.ExecutionRunning,
						Trigger: weft.TriggerWebhook, Input: input, CreatedAt: time.Now(), LeaseOwner: "bench", LeaseUntil: &until},
					StepRuns: []weft.StepRun{{StepID: "fetch", Item: weft.WholeStep, Type: "http.request", Status: weft.StepRunning, Attempts: 1}},
				}
			} else {
				m = store.Mutation{Owner: "bench", ExecutionID: id,
					Patch:    &store.ExecutionPatch{Status: store.Ptr(weft.ExecutionSucceeded), Output: json.RawMessage(`{"ok":true}`)},
					StepRuns: []weft.StepRun{{StepID: "fetch", Item: weft.WholeStep, Type: "http.request", Status: weft.StepSucceeded, Attempts: 1, Output: json.RawMessage(`{"status":200}`)}},
				}
			}
			if _, err := s.Apply(ctx, m); err != nil {
				b.Error(err)
				return
			}
			create = !create
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "applies/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)*64), "callers")
}
