package engine_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
)

// TestStartAfterShutdownStoresQueued: a Start that comes after Run stopped
// (a trigger racing with shutdown) stores the execution queued for the next
// process; it runs nothing here, where nobody would stop or wait for it.
func TestStartAfterShutdownStoresQueued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	src := "name: quick\nsteps:\n  - id: a\n    uses: transform\n    with: { ok: true }\n"
	if _, _, err := st.PutWorkflow(ctx, weft.WorkflowRecord{Name: "quick", Source: src, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, PollInterval: 20 * time.Millisecond, Lease: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	stop()
	<-done

	s, err := eng.Start(ctx, engine.StartRequest{Workflow: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Execution.Status != weft.ExecutionQueued {
		t.Fatalf("Start after shutdown answered %s, want queued", s.Execution.Status)
	}
	ex, err := st.GetExecution(ctx, s.Execution.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != weft.ExecutionQueued || ex.LeaseOwner != "" {
		t.Fatalf("stored as %s held by %q, want queued and held by nobody: it ran after shutdown", ex.Status, ex.LeaseOwner)
	}
}
