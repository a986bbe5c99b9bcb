package circuit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/weftworks/weft/circuit"
)

func TestBreakerOpensProbesAndCloses(t *testing.T) {
	t.Parallel()
	var opened []string
	b := circuit.New(circuit.Config{Timeout: 20 * time.Millisecond, OnOpen: func(h string) { opened = append(opened, h) }})
	fail := func() (bool, error) { return true, nil }
	for i := range 2 {
		if err := b.Do("api.test", "crm", 2, fail); err != nil {
			t.Fatalf("call %d: %v (a failed answer is still returned)", i, err)
		}
	}
	if err := b.Do("api.test", "crm", 2, func() (bool, error) { t.Fatal("called through an open circuit"); return false, nil }); !errors.Is(err, circuit.ErrOpen) {
		t.Fatalf("third call: %v, want ErrOpen", err)
	}
	if s := b.States()["api.test"]; s != circuit.Open || len(opened) != 1 {
		t.Fatalf("state %s, opened %v", s, opened)
	}
	if got := b.Connection("crm"); got["api.test"] != circuit.Open {
		t.Fatalf("Connection(crm) = %v", got)
	}
	if b.Connection("other") != nil {
		t.Fatal("a connection that used no breaker lists one")
	}
	time.Sleep(30 * time.Millisecond) // past the open timeout
	if s := b.States()["api.test"]; s != circuit.HalfOpen {
		t.Fatalf("after the timeout: %s, want half-open", s)
	}
	if err := b.Do("api.test", "crm", 2, func() (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	if s := b.States()["api.test"]; s != circuit.Closed {
		t.Fatalf("after a good probe: %s, want closed", s)
	}
	if text, _ := circuit.Open.MarshalText(); string(text) != "open" {
		t.Fatalf("MarshalText = %q", text)
	}
}
