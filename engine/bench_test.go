package engine_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/store"
)

// storeless accepts every write without making it: the engine's own cost,
// without the store's.
type storeless struct{ store.Store }

func (storeless) Apply(context.Context, store.Mutation) (store.Result, error) {
	return store.Result{}, nil
}

// BenchmarkBenchWorkflow runs the bench workflow (bench/bench.yaml: a
// transform with three templates, then respond) one execution at a time,
// as a sync webhook does: Start with the decoded input, wait for the
// response and for the end. The writes are accepted without being made, so
// allocs/op and instructions are the engine's alone (expressions, scopes,
// attempts, encoding, the runner). Run with -cpu 1.
func BenchmarkBenchWorkflow(b *testing.B) {
	finished := make(chan struct{}, 1)
	bd := setup(b, func(c *engine.Config) {
		c.Store = storeless{c.Store}
		c.PollInterval = time.Hour // no scheduler ticks between executions
		c.OnFinish = func(weft.Execution) { finished <- struct{}{} }
	})
	bd.put(b, `
name: bench
steps:
  - id: compute
    uses: transform
    with:
      customer: "{{ trigger.body.customer }}"
      text_upper: "{{ upper(trigger.body.text) }}"
      amount_doubled: "{{ trigger.body.amount * 2 }}"
  - id: reply
    uses: respond
    with:
      status: 200
      body: "{{ steps.compute.output }}"
`)
	input := json.RawMessage(`{"body":{"customer":"c1","text":"hello world","amount":42}}`)
	var v any // decoded once: the executions only read it
	if err := json.Unmarshal(input, &v); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		st, err := bd.eng.Start(ctx, engine.StartRequest{Workflow: "bench", Input: input, InputValue: v, Respond: true})
		if err != nil {
			b.Fatal(err)
		}
		if resp, ok := <-st.Response; !ok || len(resp) == 0 {
			b.Fatal("no response")
		}
		<-finished
	}
}
