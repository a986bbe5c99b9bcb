package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func registrationTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"ClaimFinishListDelete": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			reg, ok, err := s.ClaimRegistration(ctx, "wf", "a", at(0), time.Minute)
			if err != nil || !ok || reg.State != weft.RegistrationPending || reg.Workflow != "wf" {
				t.Fatalf("first claim = %+v, %v, %v", reg, ok, err)
			}
			if _, ok, _ := s.ClaimRegistration(ctx, "wf", "b", at(time.Second), time.Minute); ok {
				t.Fatal("a held claim was taken")
			}
			reg.Provider, reg.Spec, reg.URL, reg.Events = "stripe", `{"x":1}`, "https://w.test/hooks/wf", []string{"a.b", "c.*"}
			reg.State, reg.EndpointID, reg.NextAttemptAt, reg.UpdatedAt = weft.RegistrationRegistered, "we_1", at(0), at(time.Second)
			if err := s.FinishRegistration(ctx, "b", reg); !errors.Is(err, weft.ErrConflict) {
				t.Fatalf("finish by a non-holder = %v; want ErrConflict", err)
			}
			if err := s.FinishRegistration(ctx, "a", reg); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetRegistration(ctx, "wf")
			if err != nil || got.EndpointID != "we_1" || got.Spec != `{"x":1}` || len(got.Events) != 2 || got.State != weft.RegistrationRegistered ||
				got.ClaimOwner != "" || !got.UpdatedAt.Equal(at(time.Second).Truncate(time.Microsecond)) {
				t.Fatalf("stored = %+v, %v", got, err)
			}
			if list, _ := s.ListRegistrations(ctx); len(list) != 1 {
				t.Fatalf("list = %+v", list)
			}
			if _, err := s.GetRegistration(ctx, "nope"); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("missing = %v", err)
			}
			// Deleting needs the claim.
			if err := s.DeleteRegistration(ctx, "wf", "a"); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.ListRegistrations(ctx); len(list) != 1 {
				t.Fatal("deleted without holding the claim")
			}
			if _, ok, _ := s.ClaimRegistration(ctx, "wf", "a", at(time.Second), time.Minute); !ok {
				t.Fatal("no claim")
			}
			if err := s.DeleteRegistration(ctx, "wf", "a"); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.ListRegistrations(ctx); len(list) != 0 {
				t.Fatalf("list after delete = %+v", list)
			}
		},
		"ErrorWaitsForNextAttempt": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			reg, _, _ := s.ClaimRegistration(ctx, "wf", "a", at(0), time.Minute)
			reg.State, reg.LastError, reg.Attempts, reg.NextAttemptAt, reg.UpdatedAt = weft.RegistrationError, "boom", 1, at(10*time.Second), at(0)
			if err := s.FinishRegistration(ctx, "a", reg); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.ClaimRegistration(ctx, "wf", "a", at(5*time.Second), time.Minute); ok {
				t.Fatal("claimed before the next attempt is due")
			}
			if got, ok, _ := s.ClaimRegistration(ctx, "wf", "b", at(10*time.Second), time.Minute); !ok || got.LastError != "boom" {
				t.Fatalf("due claim = %+v %v", got, ok)
			}
		},
		"ConcurrentClaimsOneWinner": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, ok, err := s.ClaimRegistration(ctx, "wf", fmt.Sprintf("p%d", i), at(0), time.Minute)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d processes claimed one registration, want 1", wins.Load())
			}
		},
	}
}
