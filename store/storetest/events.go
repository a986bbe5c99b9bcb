package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func eventTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"PublishWakesWaiter": testPublishWakesWaiter,
		"PublishDedupe":      testPublishDedupe,
		"BufferBound":        testEventBufferBound,
		"TakeOnce":           testTakeOnce,
		"PendingOrderExpiry": testPendingOrderExpiry,
		"WaitsListPage":      testWaitsListPage,
		"PruneEvents":        testPruneEvents,
		"FinishDeletesWaits": testFinishDeletesWaits,
		"WakesOnlyItsKey":    testPublishWakesOnlyItsKey,
	}
}

func event(id, name, key string, created time.Time) store.Event {
	return store.Event{ID: id, Name: name, Key: key, Payload: json.RawMessage(`{"id":"` + id + `"}`),
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func wait(exec, step, name, key string, created time.Time) store.EventWait {
	return store.EventWait{ExecutionID: exec, StepID: step, Item: weft.WholeStep, Workflow: "wf", Name: name, Key: key,
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func testPublishWakesWaiter(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	e := newExecution("p", "wf", at(0))
	e.Status, e.WakeAt = weft.ExecutionWaiting, store.Ptr(at(time.Hour))
	mustCreate(t, s, e)
	other := newExecution("q", "wf", at(0))
	other.Status = weft.ExecutionWaiting
	mustCreate(t, s, other)
	if err := s.PutEventWait(ctx, wait("p", "w", "paid", "o1", at(0))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEventWait(ctx, wait("q", "w", "paid", "o2", at(0))); err != nil {
		t.Fatal(err)
	}
	woken, err := s.PublishEvent(ctx, event("E1", "paid", "o1", at(time.Second)), 10)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(woken) != "[p]" {
		t.Fatalf("woken = %v, want [p]", woken)
	}
	if w := mustGet(t, s, "p").WakeAt; w == nil || !w.Equal(utc(at(time.Second))) {
		t.Fatalf("p wake_at = %v, want the event's time", w)
	}
	if w := mustGet(t, s, "q").WakeAt; w != nil {
		t.Fatalf("q (other key) was woken: wake_at %v", w)
	}
	got, err := s.GetEventWait(ctx, "p", "w", weft.WholeStep)
	if err != nil || got.Key != "o1" || got.Name != "paid" {
		t.Fatalf("GetEventWait = %+v, %v", got, err)
	}
	if err := s.DeleteEventWait(ctx, "p", "w", weft.WholeStep); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetEventWait(ctx, "p", "w", weft.WholeStep)
	wantErr(t, err, weft.ErrNotFound, "GetEventWait after delete")
}

func testPublishDedupe(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	ev := event("E1", "resume", "p/w", at(0))
	ev.Dedupe = "resume:abc"
	if _, err := s.PublishEvent(ctx, ev, 10); err != nil {
		t.Fatal(err)
	}
	ev.ID = "E2"
	_, err := s.PublishEvent(ctx, ev, 10)
	wantErr(t, err, weft.ErrDuplicate, "second publish with the same dedupe")
	pending, err := s.PendingEvents(ctx, "resume", "p/w", at(time.Second), 10)
	if err != nil || len(pending) != 1 || pending[0].ID != "E1" {
		t.Fatalf("pending = %+v, %v; want only E1", pending, err)
	}
}

func testEventBufferBound(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for i := range 3 {
		if _, err := s.PublishEvent(ctx, event(fmt.Sprintf("E%d", i), "n", "k", at(time.Duration(i))), 3); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.PublishEvent(ctx, event("E9", "n", "k", at(time.Second)), 3)
	wantErr(t, err, weft.ErrOverloaded, "publish beyond the per-key bound")
	if _, err := s.PublishEvent(ctx, event("F1", "n", "other", at(time.Second)), 3); err != nil {
		t.Fatalf("another key is not bounded by this one: %v", err)
	}
	if ok, err := s.TakeEvent(ctx, "E0", "c1", at(time.Second)); err != nil || !ok {
		t.Fatalf("take: %v %v", ok, err)
	}
	if _, err := s.PublishEvent(ctx, event("E9", "n", "k", at(2*time.Second)), 3); err != nil {
		t.Fatalf("a taken event frees its place: %v", err)
	}
}

func testTakeOnce(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	if _, err := s.PublishEvent(ctx, event("E1", "n", "k", at(0)), 10); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	winners := 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.TakeEvent(ctx, "E1", fmt.Sprintf("c%d", i), at(time.Second))
			if err != nil {
				t.Errorf("take: %v", err)
			}
			if ok {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d consumers took the event, want exactly 1", winners)
	}
	ev, err := s.TakenEvent(ctx, "c0")
	if err == nil && ev.ID != "E1" {
		t.Fatalf("taken = %+v", ev)
	}
	for i := range 8 {
		c := fmt.Sprintf("c%d", i)
		if ev, err := s.TakenEvent(ctx, c); err == nil {
			if again, err := s.TakeEvent(ctx, "E1", c, at(2*time.Second)); err != nil || !again {
				t.Fatalf("the holder taking again = %v, %v; want true", again, err)
			}
			if string(ev.Payload) != `{"id":"E1"}` || ev.TakenBy != c || ev.TakenAt == nil {
				t.Fatalf("taken event = %+v", ev)
			}
		}
	}
	pending, err := s.PendingEvents(ctx, "n", "k", at(time.Second), 10)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending after take = %+v, %v", pending, err)
	}
}

func testPendingOrderExpiry(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	short := event("E2", "n", "k", at(time.Second))
	short.ExpiresAt = at(2 * time.Second)
	for _, ev := range []store.Event{event("E3", "n", "k", at(3*time.Second)), short, event("E1", "n", "k", at(0))} {
		if _, err := s.PublishEvent(ctx, ev, 10); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PendingEvents(ctx, "n", "k", at(time.Second), 10)
	if err != nil || len(got) != 3 || got[0].ID != "E1" || got[1].ID != "E2" || got[2].ID != "E3" {
		t.Fatalf("pending = %+v, %v; want E1 E2 E3", got, err)
	}
	got, err = s.PendingEvents(ctx, "n", "k", at(5*time.Second), 10)
	if err != nil || len(got) != 2 || got[0].ID != "E1" || got[1].ID != "E3" {
		t.Fatalf("pending after E2 expired = %+v, %v; want E1 E3", got, err)
	}
}

func testWaitsListPage(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for i := range 5 {
		w := wait(fmt.Sprintf("x%d", i), "approve", "approval", "", at(time.Duration(i)*time.Second))
		w.Info = json.RawMessage(`{"message":"m"}`)
		if err := s.PutEventWait(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutEventWait(ctx, wait("y", "w", "other", "", at(0))); err != nil {
		t.Fatal(err)
	}
	var seen []string
	cursor := ""
	for range 4 {
		page, next, err := s.ListEventWaits(ctx, "approval", store.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range page {
			seen = append(seen, w.ExecutionID)
			if string(w.Info) != `{"message":"m"}` {
				t.Fatalf("info = %s", w.Info)
			}
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(seen) != "[x0 x1 x2 x3 x4]" {
		t.Fatalf("listed %v, want x0..x4 in order", seen)
	}
	all, _, err := s.ListEventWaits(ctx, "", store.Page{})
	if err != nil || len(all) != 6 {
		t.Fatalf("all waits = %d, %v; want 6", len(all), err)
	}
	_, _, err = s.ListEventWaits(ctx, "", store.Page{Cursor: "!!"})
	wantErr(t, err, weft.ErrInvalid, "bad cursor")
}

func testPruneEvents(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	if _, err := s.PublishEvent(ctx, event("E1", "n", "k", at(0)), 10); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEventWait(ctx, wait("p", "w", "n", "k", at(0))); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneEvents(ctx, at(time.Minute), 100); err != nil || n != 0 {
		t.Fatalf("prune before expiry = %d, %v", n, err)
	}
	if n, err := s.PruneEvents(ctx, at(2*time.Hour), 100); err != nil || n != 2 {
		t.Fatalf("prune after expiry = %d, %v; want 2", n, err)
	}
	if got, _ := s.PendingEvents(ctx, "n", "k", at(0), 10); len(got) != 0 {
		t.Fatalf("pruned event still pending: %+v", got)
	}
}
