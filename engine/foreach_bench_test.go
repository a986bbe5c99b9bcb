package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// BenchmarkForEach runs one execution whose for_each over n items runs a
// transform per item: the cost per item must not grow with n.
//
//	go test -run '^$' -bench ForEach -benchtime 3x ./engine/
func BenchmarkForEach(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			bb := setup(b, func(c *engine.Config) { c.MaxForEachItems = n })
			bb.put(b, `
name: loop
steps:
  - id: each
    uses: transform
    for_each: "{{ trigger.items }}"
    with: { v: "{{ item * 2 }}" }
`)
			items := make([]string, n)
			for i := range items {
				items[i] = fmt.Sprint(i)
			}
			input := json.RawMessage(`{"items": [` + strings.Join(items, ",") + `]}`)
			b.ResetTimer()
			for range b.N {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				st, err := bb.eng.Start(ctx, engine.StartRequest{Workflow: "loop", Input: input})
				if err != nil {
					b.Fatal(err)
				}
				ex, err := bb.eng.Wait(ctx, st.Execution.ID)
				cancel()
				if err != nil || ex.Status != weft.ExecutionSucceeded {
					b.Fatalf("execution %s: %v %+v", ex.Status, err, ex.Error)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/item")
		})
	}
}
