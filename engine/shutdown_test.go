package engine_test

import (
	"context"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// TestStartAfterShutdownStoresQueued: a Start that comes after Run stopped
// (a trigger racing with shutdown) stores the execution queued for the next
// process; it runs nothing here, where nobody would stop or wait for it.
func TestStartAfterShutdownStoresQueued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.put(t, "name: quick\nsteps:\n  - id: a\n    uses: transform\n    with: { ok: true }\n")
	b.stop()

	s, err := b.eng.Start(ctx, engine.StartRequest{Workflow: "quick"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Execution.Status != weft.ExecutionQueued {
		t.Fatalf("Start after shutdown answered %s, want queued", s.Execution.Status)
	}
	ex, err := b.store.GetExecution(ctx, s.Execution.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != weft.ExecutionQueued || ex.LeaseOwner != "" {
		t.Fatalf("stored as %s held by %q, want queued and held by nobody: it ran after shutdown", ex.Status, ex.LeaseOwner)
	}
}
