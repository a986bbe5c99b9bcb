package storetest

import (
	"context"
	"encoding/json"
	"errors"
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

// BenchmarkApplyInline measures the write of an execution that finished
// inside its request (the bench workflow's webhook → transform → respond):
// one Apply creating the execution in its final state with its two step
// runs, 64 concurrent callers per GOMAXPROCS. It reports applies/s.
func BenchmarkApplyInline(b *testing.B, s store.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	input := json.RawMessage(`{"method":"POST","path":"bench","headers":{"Content-Type":["application/json"],"User-Agent":["wrk"]},"query":{},"body":{"customer":"c1","text":"hello world","amount":42}}`)
	out := json.RawMessage(`{"customer":"c1","text_upper":"HELLO WORLD","amount_doubled":84}`)
	resp := json.RawMessage(`{"status":200,"body":{"customer":"c1","text_upper":"HELLO WORLD","amount_doubled":84}}`)
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			now := time.Now()
			id := "inline-" + strconv.FormatInt(seq.Add(1), 10)
			m := store.Mutation{
				Create: &weft.Execution{ID: id, Workflow: "bench", WorkflowVersion: 1, Status: weft.ExecutionSucceeded,
					Trigger: weft.TriggerWebhook, Input: input, Output: out, Response: resp, CreatedAt: now, StartedAt: &now, FinishedAt: &now},
				StepRuns: []weft.StepRun{
					{StepID: "compute", Item: weft.WholeStep, Type: "transform", Status: weft.StepSucceeded, Attempts: 1, Output: out, StartedAt: &now, FinishedAt: &now},
					{StepID: "reply", Item: weft.WholeStep, Type: "respond", Status: weft.StepSucceeded, Attempts: 1, Output: resp, StartedAt: &now, FinishedAt: &now},
				},
			}
			if _, err := s.Apply(ctx, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "applies/s")
}

// BenchmarkCluster measures the cluster-wide pieces one at a time, each with
// 16 concurrent callers per GOMAXPROCS: a webhook rate-limit take (one
// bucket, rarely empty), a circuit sync read (OpenCircuits) and an AI cache
// hit read through the step cache. One op is one call.
func BenchmarkCluster(b *testing.B, s store.Store) {
	ctx := context.Background()
	if err := s.OpenCircuit(ctx, "api.example", time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	answer := json.RawMessage(`{"text":"42","finish_reason":"stop","usage":{"input_tokens":12,"output_tokens":1},"model":"m1"}`)
	if err := s.PutCached(ctx, "ai:bench", answer, time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	run := func(name string, op func() error) {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(16)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := op(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	run("RateTake", func() error {
		_, _, err := s.TakeRateToken(ctx, "webhook:bench", 1e6, 1000, time.Now())
		return err
	})
	run("OpenCircuits", func() error {
		_, err := s.OpenCircuits(ctx, time.Now())
		return err
	})
	run("AICacheHit", func() error {
		_, ok, err := s.GetCached(ctx, "ai:bench", time.Now())
		if err == nil && !ok {
			err = errors.New("cache miss")
		}
		return err
	})
}
