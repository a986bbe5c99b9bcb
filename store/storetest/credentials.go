package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// RunConnections runs the conformance tests of credentials, the step cache
// and limiter states (store.Credentials, store.Cache, store.LimiterStates).
func RunConnections(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for name, test := range map[string]func(t *testing.T, s store.Store){
		"CredentialCRUD":          testCredentialCRUD,
		"CredentialReseal":        testCredentialReseal,
		"CredentialTokenUpdate":   testCredentialTokenUpdate,
		"CacheExpiry":             testCacheExpiry,
		"LimiterStateIsAtomic":    testLimiterAtomic,
		"LimiterStateFnError":     testLimiterFnError,
		"StepRunHistoryRoundTrip": testHistoryRoundTrip,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

func testCredentialCRUD(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	if _, err := s.GetCredential(ctx, "crm"); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	rec, err := s.PutCredential(ctx, store.CredentialRecord{Name: "crm", Type: "bearer", Sealed: []byte("sealed-1"), Settings: json.RawMessage(`{"hosts":["a"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if rec.CreatedAt.IsZero() || rec.UpdatedAt.IsZero() {
		t.Fatalf("times not set: %+v", rec)
	}
	if err := s.SetCredentialToken(ctx, "crm", []byte("tok")); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCredential(ctx, "crm")
	if err != nil || string(got.Sealed) != "sealed-1" || string(got.Token) != "tok" || got.Type != "bearer" || string(got.Settings) != `{"hosts":["a"]}` {
		t.Fatalf("get = %+v, %v", got, err)
	}
	time.Sleep(2 * time.Millisecond)
	again, err := s.PutCredential(ctx, store.CredentialRecord{Name: "crm", Type: "basic", Sealed: []byte("sealed-2")})
	if err != nil {
		t.Fatal(err)
	}
	if !again.CreatedAt.Equal(rec.CreatedAt) || !again.UpdatedAt.After(rec.UpdatedAt) {
		t.Fatalf("replace: created %v→%v updated %v→%v", rec.CreatedAt, again.CreatedAt, rec.UpdatedAt, again.UpdatedAt)
	}
	got, _ = s.GetCredential(ctx, "crm")
	if got.Token != nil || got.Type != "basic" {
		t.Fatalf("replace must clear the token: %+v", got)
	}
	if _, err := s.PutCredential(ctx, store.CredentialRecord{Name: "api", Type: "none", Sealed: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListCredentials(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "api" || list[1].Name != "crm" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := s.DeleteCredential(ctx, "crm"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCredential(ctx, "crm"); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := s.SetCredentialToken(ctx, "crm", nil); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("token of missing: %v", err)
	}
}

func testCredentialReseal(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for _, n := range []string{"a", "b"} {
		if _, err := s.PutCredential(ctx, store.CredentialRecord{Name: n, Type: "bearer", Sealed: []byte("old-" + n)}); err != nil {
			t.Fatal(err)
		}
	}
	// A failure half-way writes nothing.
	_, err := s.ResealCredentials(ctx, func(rec *store.CredentialRecord) error {
		if rec.Name == "b" {
			return errors.New("boom")
		}
		rec.Sealed = []byte("new-" + rec.Name)
		return nil
	})
	if err == nil {
		t.Fatal("reseal error lost")
	}
	if got, _ := s.GetCredential(ctx, "a"); string(got.Sealed) != "old-a" {
		t.Fatalf("partial reseal left %q", got.Sealed)
	}
	n, err := s.ResealCredentials(ctx, func(rec *store.CredentialRecord) error {
		rec.Sealed = []byte("new-" + rec.Name)
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("reseal = %d, %v", n, err)
	}
	if got, _ := s.GetCredential(ctx, "b"); string(got.Sealed) != "new-b" {
		t.Fatalf("resealed = %q", got.Sealed)
	}
}

func testCacheExpiry(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	if _, ok, err := s.GetCached(ctx, "k", at(0)); ok || err != nil {
		t.Fatalf("empty cache: %v %v", ok, err)
	}
	if err := s.PutCached(ctx, "k", json.RawMessage(`{"v":1}`), at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCached(ctx, "old", json.RawMessage(`1`), at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.GetCached(ctx, "k", at(30*time.Minute))
	if err != nil || !ok || string(v) != `{"v":1}` {
		t.Fatalf("hit = %s %v %v", v, ok, err)
	}
	if _, ok, _ := s.GetCached(ctx, "k", at(2*time.Hour)); ok {
		t.Fatal("expired entry served")
	}
	n, err := s.PruneCache(ctx, at(30*time.Minute), 10)
	if err != nil || n != 1 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if _, ok, _ := s.GetCached(ctx, "k", at(30*time.Minute)); !ok {
		t.Fatal("prune removed a live entry")
	}
}

func testLimiterAtomic(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UpdateLimiterState(ctx, "conn:x", func(old []byte) ([]byte, error) {
				n, _ := strconv.Atoi(string(old))
				return []byte(strconv.Itoa(n + 1)), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var got []byte
	_ = s.UpdateLimiterState(ctx, "conn:x", func(old []byte) ([]byte, error) { got = old; return old, nil })
	if string(got) != "20" {
		t.Fatalf("counter = %q, want 20 (lost updates)", got)
	}
}

// testCredentialTokenUpdate: updates of one credential's token are
// exclusive (no lost update even though fn is slow), a nil result keeps
// the token, a failing fn writes nothing, a missing credential is
// ErrNotFound.
func testCredentialTokenUpdate(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	if _, err := s.PutCredential(ctx, store.CredentialRecord{Name: "oauth", Type: "oauth2_code", Sealed: []byte("sealed")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UpdateCredentialToken(ctx, "oauth", func(old []byte) ([]byte, error) {
				n, _ := strconv.Atoi(string(old))
				time.Sleep(2 * time.Millisecond) // a token request in flight
				return []byte(strconv.Itoa(n + 1)), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.UpdateCredentialToken(ctx, "oauth", func(old []byte) ([]byte, error) {
		if string(old) != "10" {
			t.Errorf("token = %q, want 10 (lost updates)", old)
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.UpdateCredentialToken(ctx, "oauth", func([]byte) ([]byte, error) { return []byte("x"), boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if rec, err := s.GetCredential(ctx, "oauth"); err != nil || string(rec.Token) != "10" {
		t.Fatalf("token after nil and failed updates = %q, %v; want 10", rec.Token, err)
	}
	if err := s.UpdateCredentialToken(ctx, "absent", func([]byte) ([]byte, error) { return nil, nil }); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("absent credential: %v, want ErrNotFound", err)
	}
}

func testLimiterFnError(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	_ = s.UpdateLimiterState(ctx, "k", func([]byte) ([]byte, error) { return []byte("one"), nil })
	boom := errors.New("boom")
	if err := s.UpdateLimiterState(ctx, "k", func([]byte) ([]byte, error) { return []byte("two"), boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	_ = s.UpdateLimiterState(ctx, "k", func(old []byte) ([]byte, error) {
		if !bytes.Equal(old, []byte("one")) {
			t.Errorf("state = %q after a failed update", old)
		}
		return old, nil
	})
}

func testHistoryRoundTrip(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	e := newExecution("01HISTORY0000000000000000A", "wf", at(0))
	mustCreate(t, s, e)
	run := weft.StepRun{ExecutionID: e.ID, StepID: "a", Item: weft.WholeStep, Type: "x", Status: weft.StepWaiting, Attempts: 1,
		History: []weft.Attempt{{Attempt: 1, At: at(time.Second).Truncate(time.Microsecond), Outcome: "retry", DurationMS: 12, Code: "http_status", Error: "503", Wait: weft.Duration(2 * time.Second), Reason: "retry_after"}}}
	mustApply(t, s, store.Mutation{ExecutionID: e.ID, StepRuns: []weft.StepRun{run}})
	runs, err := s.GetStepRuns(ctx, e.ID)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	got := runs[0].History
	if len(got) != 1 || got[0].Reason != "retry_after" || got[0].Wait.D() != 2*time.Second || !got[0].At.Equal(run.History[0].At) {
		t.Fatalf("history = %+v", got)
	}
}
