package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
)

func newHandle() (*runHandle, context.Context) {
	ctx, cancel := context.WithCancelCause(context.Background())
	h := &runHandle{cancel: cancel, wake: make(chan struct{}, 1)}
	h.stored.Store(true)
	return h, ctx
}

// TestRenewalVerdictSparesANewerRun: a renewal that found the lease of a
// parked run lost (the runner released it when it parked) does not stop
// the run launched for the same execution while the renewal was under way;
// a verdict on the run it was for still stops that run.
func TestRenewalVerdictSparesANewerRun(t *testing.T) {
	t.Parallel()
	e := &Engine{running: map[string]*runHandle{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	parked, _ := newHandle()
	e.running["ex1"] = parked
	held := map[string]*runHandle{"ex1": parked}
	// The renewal is in flight; the execution is woken, claimed and
	// launched again.
	next, nextCtx := newHandle()
	e.running["ex1"] = next
	e.renewed(held, []string{"ex1"}, nil)
	if err := context.Cause(nextCtx); err != nil {
		t.Fatalf("the newer run was stopped by the parked run's renewal: %v", err)
	}
	e.renewed(held, nil, []string{"ex1"})
	if err := context.Cause(nextCtx); err != nil {
		t.Fatalf("the newer run was canceled by the parked run's renewal: %v", err)
	}

	other, otherCtx := newHandle()
	e.running["ex2"] = other
	e.renewed(map[string]*runHandle{"ex2": other}, []string{"ex2"}, nil)
	if err := context.Cause(otherCtx); !errors.Is(err, errLeaseLost) {
		t.Fatalf("a run whose lease was lost goes on: cause %v", err)
	}
}

// TestUnregisterKeepsANewerRun: the parked runner's exit does not remove
// the handle of the run launched after it for the same execution.
func TestUnregisterKeepsANewerRun(t *testing.T) {
	t.Parallel()
	e := &Engine{running: map[string]*runHandle{}}
	parked, _ := newHandle()
	next, _ := newHandle()
	e.running["ex1"] = parked
	e.running["ex1"] = next // launched again before the parked runner exited
	e.unregister("ex1", parked)
	if e.running["ex1"] != next {
		t.Fatal("the parked runner's exit removed the newer run's handle: its lease would no longer be renewed")
	}
	e.unregister("ex1", next)
	if _, ok := e.running["ex1"]; ok {
		t.Fatal("a run's exit left its handle behind")
	}
}
