package storesqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// The writer counts the WAL frames its commits append, which is what paces
// the background checkpoint.
func TestWriterCountsWALFrames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "weft.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "w", Source: "name: w\nsteps: []\n", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	before := s.newFrames.Load()
	for _, id := range []string{"ex-1", "ex-2"} { // the second returns after the first batch was counted
		ex := weft.Execution{ID: id, Workflow: "w", WorkflowVersion: 1, Status: weft.ExecutionQueued, Trigger: weft.TriggerManual,
			Input: []byte(`{}`), CreatedAt: time.Now()}
		if _, err := s.Apply(ctx, store.Mutation{Create: &ex, ExecutionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.newFrames.Load(); got <= before {
		t.Fatalf("new WAL frames after two commits: %d, before: %d", got, before)
	}
}

func TestCheckpointDue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		frames int64
		since  time.Duration
		want   bool
	}{
		{0, time.Hour, false},             // nothing new: no fsyncs for nothing
		{1, 10 * time.Millisecond, false}, // a trickle waits
		{1, maxCheckpointDelay, true},     // … but not forever
		{checkpointFrames - 1, time.Millisecond, false},
		{checkpointFrames, time.Millisecond, true}, // a busy writer is checkpointed at once
	} {
		if got := checkpointDue(c.frames, c.since); got != c.want {
			t.Errorf("checkpointDue(%d, %s) = %v, want %v", c.frames, c.since, got, c.want)
		}
	}
}
