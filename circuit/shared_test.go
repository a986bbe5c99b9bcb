package circuit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/circuit"
)

// memShared is store.CircuitStates in memory, standing for the database
// two processes share.
type memShared struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func (s *memShared) OpenCircuit(_ context.Context, host string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.m[host]) {
		s.m[host] = until
	}
	return nil
}

func (s *memShared) OpenCircuits(_ context.Context, now time.Time) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for h, u := range s.m {
		if u.After(now) {
			out[h] = u
		}
	}
	return out, nil
}

func TestSharedCircuitOpensEverywhere(t *testing.T) {
	t.Parallel()
	shared := &memShared{m: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	start := func() *circuit.Breakers {
		b := circuit.New(circuit.Config{Timeout: time.Minute, Shared: shared, SyncEvery: 10 * time.Millisecond})
		wg.Add(1)
		go func() { defer wg.Done(); _ = b.Run(ctx, nil) }()
		return b
	}
	a, b := start(), start()
	fail := func() (bool, error) { return true, nil }
	for range 3 {
		_ = a.Do("api.test", "", 3, fail)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := b.Do("api.test", "", 3, func() (bool, error) { return false, nil })
		if errors.Is(err, circuit.ErrOpen) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the circuit opened by one set of breakers never opened in the other")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := b.States()["api.test"]; s != circuit.Open {
		t.Fatalf("the other's state = %s, want open", s)
	}
	if err := b.Do("other.test", "", 3, func() (bool, error) { return false, nil }); err != nil {
		t.Fatalf("another host was refused: %v", err)
	}
}
