package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func alertTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"LeaseIsExclusiveUntilItLapses": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			a, ok, err := s.ClaimAlert(ctx, "orders", "p1", at(0), 30*time.Second)
			if err != nil || !ok || a.State != store.AlertOK || a.Owner != "p1" {
				t.Fatalf("first claim = %+v %v %v", a, ok, err)
			}
			if _, ok, err := s.ClaimAlert(ctx, "orders", "p2", at(10*time.Second), 30*time.Second); err != nil || ok {
				t.Fatalf("p2 claimed an alert p1 holds: %v %v", ok, err)
			}
			if _, ok, err := s.ClaimAlert(ctx, "orders", "p1", at(20*time.Second), 30*time.Second); err != nil || !ok {
				t.Fatalf("p1 could not renew its own lease: %v %v", ok, err)
			}
			since := at(20 * time.Second)
			a.State, a.Value, a.Since, a.NotifiedAt, a.EvaluatedAt = store.AlertFiring, 4.5, &since, &since, &since
			if err := s.SaveAlertState(ctx, a, "p1"); err != nil {
				t.Fatal(err)
			}
			// p1's renewed lease ends at 50 s; p2 takes over after it.
			if _, ok, _ := s.ClaimAlert(ctx, "orders", "p2", at(49*time.Second), 30*time.Second); ok {
				t.Fatal("p2 claimed before the renewed lease lapsed")
			}
			b, ok, err := s.ClaimAlert(ctx, "orders", "p2", at(51*time.Second), 30*time.Second)
			if err != nil || !ok {
				t.Fatalf("p2 takeover after the lease lapsed = %v %v", ok, err)
			}
			if b.State != store.AlertFiring || b.Value != 4.5 || b.Since == nil || !b.Since.Equal(since.Truncate(time.Microsecond)) {
				t.Errorf("state after takeover = %+v, want p1's firing state", b)
			}
			if err := s.SaveAlertState(ctx, a, "p1"); !errors.Is(err, weft.ErrLeaseLost) {
				t.Errorf("save by the former owner = %v, want ErrLeaseLost", err)
			}
			list, err := s.ListAlertStates(ctx)
			if err != nil || len(list) != 1 || list[0].Owner != "p2" {
				t.Errorf("ListAlertStates = %+v %v", list, err)
			}
		},
		"OneOfManyClaims": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			const n = 8
			var (
				wg  sync.WaitGroup
				mu  sync.Mutex
				won []string
			)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					owner := fmt.Sprintf("p%d", i)
					_, ok, err := s.ClaimAlert(ctx, "silent", owner, at(0), time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						won = append(won, owner)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(won) != 1 {
				t.Fatalf("%d processes hold the alert at once: %v", len(won), won)
			}
		},
		"Rules": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			if err := s.PutAlertRule(ctx, "a", []byte(`{"kind":"failures"}`), at(0)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutAlertRule(ctx, "a", []byte(`{"kind":"error_rate"}`), at(time.Second)); err != nil {
				t.Fatal(err)
			}
			rules, err := s.ListAlertRules(ctx)
			if err != nil || len(rules) != 1 || string(rules["a"]) != `{"kind":"error_rate"}` {
				t.Fatalf("ListAlertRules = %q %v", rules, err)
			}
			if _, _, err := s.ClaimAlert(ctx, "a", "p1", at(0), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteAlertRule(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteAlertRule(ctx, "a"); !errors.Is(err, weft.ErrNotFound) {
				t.Errorf("second delete = %v, want ErrNotFound", err)
			}
			if st, _ := s.ListAlertStates(ctx); len(st) != 0 {
				t.Errorf("the deleted rule's state is left: %+v", st)
			}
		},
	}
}
