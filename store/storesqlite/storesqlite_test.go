package storesqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/store/storetest"
)

func openTemp(t testing.TB, opts storesqlite.Options) *storesqlite.Store {
	t.Helper()
	s, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, storesqlite.Options{}) })
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, o := range []storesqlite.Options{
		{Synchronous: "OFF"},
		{BusyTimeout: -1},
		{ReadConns: -1},
		{MaxBatch: -1},
		{QueueSize: -1},
	} {
		if err := o.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v: Validate accepted it", o)
		}
	}
	if err := (storesqlite.Options{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), storesqlite.Options{Synchronous: "OFF"}); err == nil {
		t.Error("Open accepted an invalid option")
	}
}

// TestReopenKeepsData checks that a committed Apply is on disk: a second
// Open of the same file (after Close) sees it and does not re-run migrations.
func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "weft.db")
	s, err := storesqlite.Open(ctx, path, storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, store.Mutation{Create: &weft.Execution{ID: "kept", Workflow: "wf", Status: weft.ExecutionQueued}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := storesqlite.Open(ctx, path, storesqlite.Options{})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer s2.Close()
	if _, err := s2.GetExecution(ctx, "kept"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTemp(t, storesqlite.Options{})
	got, err := s.Pragmas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"auto_vacuum": "2", "journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("PRAGMA %s = %q, want %q", k, got[k], v)
		}
	}
}

// TestPruneReclaimsSpace fills the file, prunes everything and checks that
// the free pages went back to the file system and expired dedupe keys left.
func TestPruneReclaimsSpace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t, storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	big := make([]byte, 4000)
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	input := []byte(`"` + string(big) + `"`)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 500 {
		e := &weft.Execution{ID: fmt.Sprintf("e-%03d", i), Workflow: "wf", Status: weft.ExecutionSucceeded,
			Input: input, CreatedAt: old, FinishedAt: &old}
		if _, err := s.Apply(ctx, store.Mutation{Create: e,
			Dedupe:   &store.DedupeKey{Scope: "wf", Key: e.ID, ExpiresAt: time.Now().Add(-time.Minute)},
			StepRuns: []weft.StepRun{{StepID: "s", Item: -1, Status: weft.StepSucceeded, Output: input}}}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.Pragmas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before["dedupe_keys"] != "500" {
		t.Fatalf("dedupe keys before prune: %s, want 500", before["dedupe_keys"])
	}
	for {
		n, err := s.Prune(ctx, old.Add(time.Second), 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	after, err := s.Pragmas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after["freelist_count"] != "0" || after["dedupe_keys"] != "0" {
		t.Fatalf("after prune: freelist %s, dedupe keys %s; want 0, 0", after["freelist_count"], after["dedupe_keys"])
	}
	var pb, pa int
	fmt.Sscan(before["page_count"], &pb)
	fmt.Sscan(after["page_count"], &pa)
	if pa*4 > pb {
		t.Fatalf("page count %d -> %d: space was not reclaimed", pb, pa)
	}
}

func TestAuditVerifyDetectsEditedRow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := storesqlite.Open(context.Background(), filepath.Join(dir, "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	storetest.AuditTamper(t, s, func(seq int64, actor string) error {
		db, err := sql.Open("sqlite", filepath.Join(dir, "weft.db"))
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec("UPDATE audit_log SET actor = ? WHERE seq = ?", actor, seq)
		return err
	})
}
