package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/store"
)

func auditTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"ChainAndFilters": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			for i, a := range []string{"workflow.saved", "token.created", "workflow.deleted"} {
				e, err := s.AppendAudit(ctx, store.AuditEntry{Time: at(time.Duration(i) * time.Second), Actor: "ada", Source: "10.0.0.1",
					Action: a, Target: "billing", Detail: json.RawMessage(`{"version":1}`)})
				if err != nil {
					t.Fatal(err)
				}
				if e.Seq != int64(i+1) || e.Hash != store.AuditHash(e.PrevHash, e) {
					t.Fatalf("entry %d: %+v", i, e)
				}
			}
			got, err := s.ListAudit(ctx, store.AuditFilter{Action: "workflow."})
			if err != nil || len(got) != 2 || got[0].Action != "workflow.deleted" {
				t.Fatalf("ListAudit(workflow.) = %+v, %v", got, err)
			}
			got, _ = s.ListAudit(ctx, store.AuditFilter{Since: at(time.Second), Until: at(2 * time.Second)})
			if len(got) != 1 || got[0].Action != "token.created" || string(got[0].Detail) != `{"version":1}` {
				t.Fatalf("ListAudit(since, until) = %+v", got)
			}
			if got, _ = s.ListAudit(ctx, store.AuditFilter{Before: 2}); len(got) != 1 || got[0].Seq != 1 {
				t.Fatalf("ListAudit(before 2) = %+v", got)
			}
			rep, err := audit.Verify(ctx, s)
			if err != nil || rep.Broken != nil || rep.Checked != 3 {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
		},
		"ConcurrentAppendsChain": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			var wg sync.WaitGroup
			for i := 0; i < 16; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.AppendAudit(ctx, store.AuditEntry{Actor: fmt.Sprint("p", i), Action: "signin"}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			rep, err := audit.Verify(ctx, s)
			if err != nil || rep.Broken != nil || rep.Checked != 16 || rep.Head != 16 {
				t.Fatalf("Verify after concurrent appends = %+v, %v", rep, err)
			}
		},
		"PruneKeepsChainVerifiable": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			for i := 0; i < 5; i++ {
				if _, err := s.AppendAudit(ctx, store.AuditEntry{Time: at(time.Duration(i) * time.Hour), Actor: "ada", Action: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.PruneAudit(ctx, at(3*time.Hour), 2)
			if err != nil || n != 2 {
				t.Fatalf("PruneAudit = %d, %v; want 2 (batch)", n, err)
			}
			if n, _ = s.PruneAudit(ctx, at(3*time.Hour), 2); n != 1 {
				t.Fatalf("second PruneAudit = %d, want 1", n)
			}
			if seq, _, err := s.AuditAnchor(ctx); err != nil || seq != 3 {
				t.Fatalf("anchor = %d, %v; want 3", seq, err)
			}
			if _, err := s.AppendAudit(ctx, store.AuditEntry{Actor: "ada", Action: "y"}); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(ctx, s)
			if err != nil || rep.Broken != nil || rep.From != 3 || rep.Checked != 3 {
				t.Fatalf("Verify after prune = %+v, %v", rep, err)
			}
		},
	}
}

// AuditTamper checks that audit.Verify finds a row edited behind the
// store's back. edit changes the actor of entry seq with the store's own
// SQL (what an attacker with database access would do).
func AuditTamper(t *testing.T, s store.Store, edit func(seq int64, actor string) error) {
	t.Helper()
	ctx := ctxFor(t)
	for i := 0; i < 4; i++ {
		if _, err := s.AppendAudit(ctx, store.AuditEntry{Actor: "ada", Action: "workflow.saved", Target: fmt.Sprint("w", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := audit.Verify(ctx, s); err != nil || rep.Broken != nil {
		t.Fatalf("Verify before the edit = %+v, %v", rep, err)
	}
	if err := edit(2, "mallory"); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Broken == nil || rep.Broken.Seq != 2 || rep.Checked != 1 {
		t.Fatalf("Verify after editing entry 2 = %+v, want broken at 2", rep)
	}
}
