package metrics_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
)

func TestInstrumentedStoreRecordsLatencyAndQueueDepth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "w.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	m := metrics.New()
	st := metrics.InstrumentStore(raw, m)
	if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "w", Source: "name: w\nsteps: []\n", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	ex := weft.Execution{ID: "01J0000000000000000000000A", Workflow: "w", WorkflowVersion: 1, Status: weft.ExecutionQueued, Trigger: "manual", Input: []byte("{}")}
	if _, err := st.Apply(ctx, store.Mutation{Create: &ex, ExecutionID: ex.ID}); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.StoreLatency); n < 2 {
		t.Fatalf("store latency series = %d, want put_workflow and apply", n)
	}
	expected := "# HELP weft_queue_depth Executions queued or waiting for a timer, across all processes.\n# TYPE weft_queue_depth gauge\nweft_queue_depth 1\n"
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(expected), "weft_queue_depth"); err != nil {
		t.Fatal(err)
	}
}
