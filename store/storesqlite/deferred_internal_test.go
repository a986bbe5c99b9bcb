package storesqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func deferredDelivery(id string) store.WebhookDelivery {
	return store.WebhookDelivery{ID: id, Workflow: "w", Path: "/hooks/w", ReceivedAt: time.Now().UTC().Truncate(time.Microsecond),
		Method: "POST", Status: 200, Outcome: store.OutcomeAccepted, ExecutionID: "ex-" + id}
}

// heldUntil waits until the writer has held n deferred jobs in all.
func heldUntil(s *Store, n int64) {
	for s.heldJobs.Load() < n {
		time.Sleep(time.Millisecond)
	}
}

// Deferred delivery-log rows commit in the transaction of the next
// execution write: with the hold made longer than the test, the deferred
// call returns only once an Apply commits, and both are stored.
func TestDeferredDeliveriesRideTheNextWrite(t *testing.T) {
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
	s.heldWait.Store(int64(time.Hour))

	done := make(chan error, 1)
	go func() { done <- s.RecordDeliveriesDeferred(ctx, []store.WebhookDelivery{deferredDelivery("d1")}) }()
	heldUntil(s, 1)
	select {
	case err := <-done:
		t.Fatalf("deferred rows committed without another write (err %v)", err)
	default:
	}
	if ds, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{}); err != nil || len(ds) != 0 {
		t.Fatalf("deferred rows visible before the next write: %d rows, err %v", len(ds), err)
	}

	ex := weft.Execution{ID: "ex-1", Workflow: "w", WorkflowVersion: 1, Status: weft.ExecutionQueued, Trigger: weft.TriggerManual,
		Input: []byte(`{}`), CreatedAt: time.Now()}
	if _, err := s.Apply(ctx, store.Mutation{Create: &ex, ExecutionID: ex.ID}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ds, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 || ds[0].ID != "d1" {
		t.Fatalf("deliveries after the write: %+v, err %v", ds, err)
	}
}

// Rows held when the store closes are written before it closes.
func TestDeferredDeliveriesWrittenOnClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "weft.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.heldWait.Store(int64(time.Hour))
	done := make(chan error, 1)
	go func() { done <- s.RecordDeliveriesDeferred(ctx, []store.WebhookDelivery{deferredDelivery("d1")}) }()
	heldUntil(s, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 || ds[0].ID != "d1" {
		t.Fatalf("deliveries after reopening: %+v, err %v", ds, err)
	}
}

// Without other writes, deferred rows commit on their own.
func TestDeferredDeliveriesCommitAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "weft.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.RecordDeliveriesDeferred(ctx, []store.WebhookDelivery{deferredDelivery("d1"), deferredDelivery("d2")}); err != nil {
		t.Fatal(err)
	}
	ds, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries: %+v, err %v", ds, err)
	}
}
