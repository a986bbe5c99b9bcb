package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func pollTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"FirstClaimCreatesDueState": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			st, ok, err := s.ClaimPoll(ctx, "wf", 0, "a", at(0), time.Minute)
			if err != nil || !ok {
				t.Fatalf("ClaimPoll = %v, %v; want a claim", ok, err)
			}
			if st.ClaimOwner != "a" || st.ClaimUntil == nil || !st.ClaimUntil.Equal(at(time.Minute).Truncate(time.Microsecond)) {
				t.Fatalf("claim = %q until %v", st.ClaimOwner, st.ClaimUntil)
			}
			if st.Cursor != nil || len(st.Seen) != 0 {
				t.Fatalf("a new trigger has cursor %s and seen %v", st.Cursor, st.Seen)
			}
			if _, ok, _ := s.ClaimPoll(ctx, "wf", 0, "b", at(time.Second), time.Minute); ok {
				t.Fatal("a second owner claimed a held poll")
			}
		},
		"FinishStoresAndReleases": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			st, _, err := s.ClaimPoll(ctx, "wf", 1, "a", at(0), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			ok := at(time.Second)
			st.Cursor = json.RawMessage(`{"after":"c-2"}`)
			st.Seen = []string{"1", "2"}
			st.NextPollAt = at(time.Minute)
			st.LastPollAt, st.LastSuccessAt, st.ItemsSeen = &ok, &ok, 2
			if err := s.FinishPoll(ctx, "b", st); !errors.Is(err, weft.ErrConflict) {
				t.Fatalf("FinishPoll by a non-owner = %v, want ErrConflict", err)
			}
			if err := s.FinishPoll(ctx, "a", st); err != nil {
				t.Fatal(err)
			}
			if _, claimed, _ := s.ClaimPoll(ctx, "wf", 1, "b", at(30*time.Second), time.Minute); claimed {
				t.Fatal("claimed a poll that is not due")
			}
			got, claimed, err := s.ClaimPoll(ctx, "wf", 1, "b", at(time.Minute), time.Minute)
			if err != nil || !claimed {
				t.Fatalf("due poll not claimed: %v", err)
			}
			if string(got.Cursor) != `{"after":"c-2"}` || fmt.Sprint(got.Seen) != "[1 2]" || got.ItemsSeen != 2 {
				t.Fatalf("state = cursor %s seen %v items %d", got.Cursor, got.Seen, got.ItemsSeen)
			}
			if got.LastSuccessAt == nil || !got.LastSuccessAt.Equal(ok.Truncate(time.Microsecond)) {
				t.Fatalf("last success = %v", got.LastSuccessAt)
			}
			list, err := s.ListPollStates(ctx)
			if err != nil || len(list) != 1 || list[0].Workflow != "wf" || list[0].Index != 1 {
				t.Fatalf("ListPollStates = %+v, %v", list, err)
			}
			if err := s.DeletePollStates(ctx, "wf", 1); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.ListPollStates(ctx); len(list) != 0 {
				t.Fatalf("states after delete: %+v", list)
			}
		},
		"DeleteWorkflowDropsItsStates": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			for _, name := range []string{"gone", "kept"} {
				if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: name, Source: "name: " + name, Enabled: true}); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range []struct {
				key   string
				index int
			}{{"gone", 0}, {"gone", 1}, {weft.IMAPPollKey("gone"), 0}, {"kept", 0}, {weft.IMAPPollKey("kept"), 0}, {"gone-2", 0}} {
				if _, ok, err := s.ClaimPoll(ctx, k.key, k.index, "a", at(0), time.Minute); err != nil || !ok {
					t.Fatalf("ClaimPoll(%s, %d) = %v, %v", k.key, k.index, ok, err)
				}
			}
			if err := s.DeleteWorkflow(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			list, err := s.ListPollStates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, st := range list {
				left = append(left, fmt.Sprintf("%s/%d", st.Workflow, st.Index))
			}
			if fmt.Sprint(left) != "[gone-2/0 imap:kept/0 kept/0]" {
				t.Fatalf("states after deleting workflow gone: %v; want those of kept and gone-2 only", left)
			}
			// A failed delete drops nothing.
			if err := s.DeleteWorkflow(ctx, "gone-2"); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("deleting a workflow that does not exist: %v, want ErrNotFound", err)
			}
			if list, _ := s.ListPollStates(ctx); len(list) != 3 {
				t.Fatalf("a failed delete dropped states: %+v", list)
			}
		},
		"ExpiredClaimIsTakenOver": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			if _, ok, _ := s.ClaimPoll(ctx, "wf", 0, "crashed", at(0), time.Minute); !ok {
				t.Fatal("no first claim")
			}
			if _, ok, err := s.ClaimPoll(ctx, "wf", 0, "b", at(time.Minute), time.Minute); !ok || err != nil {
				t.Fatalf("expired claim not taken over: %v", err)
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
					_, ok, err := s.ClaimPoll(ctx, "wf", 0, fmt.Sprintf("p%d", i), at(0), time.Minute)
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
				t.Fatalf("%d processes claimed the same poll, want 1", wins.Load())
			}
		},
	}
}
