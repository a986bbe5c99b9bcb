package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/store"
)

func clusterTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"RateBucketBurstAndRefill": testRateBucketBurst,
		"RateBucketConcurrent":     testRateBucketConcurrent,
		"CircuitOpenShared":        testCircuitOpen,
	}
}

func testRateBucketBurst(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	take := func(key string, now time.Time) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := s.TakeRateToken(ctx, key, 10, 3, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := range 3 {
		if ok, _ := take("hook:a", base); !ok {
			t.Fatalf("take %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := take("hook:a", base)
	if ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("4th take = %v, wait %v; want refused, 0 < wait ≤ 100ms", ok, wait)
	}
	if ok, _ := take("hook:b", base); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := take("hook:a", base.Add(wait)); !ok {
		t.Fatal("refused after the wait it named")
	}
	if ok, _ := take("hook:a", base.Add(wait)); ok {
		t.Fatal("a refill of one interval gave two tokens")
	}
	// Idle for long: the bucket is full again, but holds no more than burst.
	later := base.Add(time.Hour)
	for i := range 3 {
		if ok, _ := take("hook:a", later); !ok {
			t.Fatalf("take %d after an idle hour refused", i+1)
		}
	}
	if ok, _ := take("hook:a", later); ok {
		t.Fatal("an idle bucket grew past its burst")
	}
	if _, _, err := s.TakeRateToken(ctx, "hook:c", 0, 1, base); err == nil {
		t.Fatal("a rate of 0 was accepted")
	}
}

// testRateBucketConcurrent checks that concurrent takes (from what could be
// several processes) never hand out more than the bucket holds.
func testRateBucketConcurrent(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	var granted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				ok, _, err := s.TakeRateToken(ctx, "hook:x", 1, 10, base)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					granted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if g := granted.Load(); g != 10 {
		t.Fatalf("40 concurrent takes from a bucket of 10 granted %d", g)
	}
}

func testCircuitOpen(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	got, err := s.OpenCircuits(ctx, base)
	if err != nil || len(got) != 0 {
		t.Fatalf("fresh store: %v, %v", got, err)
	}
	if err := s.OpenCircuit(ctx, "api.test", at(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	// An earlier until (a slower process) must not shorten the circuit.
	if err := s.OpenCircuit(ctx, "api.test", at(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenCircuit(ctx, "other.test", at(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err = s.OpenCircuits(ctx, at(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got["api.test"].Equal(at(30*time.Second).Truncate(time.Microsecond)) {
		t.Fatalf("open at +20s = %v; want only api.test until +30s", got)
	}
	if err := s.OpenCircuit(ctx, "api.test", at(60*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OpenCircuits(ctx, at(45*time.Second)); !got["api.test"].Equal(at(60 * time.Second).Truncate(time.Microsecond)) {
		t.Fatalf("a later until did not extend the circuit: %v", got)
	}
	if got, _ := s.OpenCircuits(ctx, at(61*time.Second)); len(got) != 0 {
		t.Fatalf("circuits still open after their time: %v", got)
	}
}
