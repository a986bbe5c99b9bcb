package steptest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

var _ step.Workflows = (*Workflows)(nil)

// Workflows is an in-memory step.Workflows. Start is idempotent on key like
// the real one; Finish moves a child to a terminal state. Set StartErr or
// GetErr to make the next calls fail. Safe for concurrent use.
type Workflows struct {
	mu       sync.Mutex
	execs    map[string]weft.Execution
	byKey    map[string]string
	calls    []StartCall
	StartErr error
	GetErr   error
}

// StartCall records one call of Start.
type StartCall struct {
	Name            string
	Input           json.RawMessage
	ParentExecution string
	ParentStep      string
	Key             string
}

// NewWorkflows returns an empty fake.
func NewWorkflows() *Workflows {
	return &Workflows{execs: map[string]weft.Execution{}, byKey: map[string]string{}}
}

// Start records the call and returns a new id "child-N", or the id of the
// execution already started with key.
func (w *Workflows) Start(_ context.Context, name string, input json.RawMessage, parentExecution, parentStep, key string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, StartCall{Name: name, Input: append(json.RawMessage(nil), input...), ParentExecution: parentExecution, ParentStep: parentStep, Key: key})
	if w.StartErr != nil {
		return "", w.StartErr
	}
	if id, ok := w.byKey[key]; ok && key != "" {
		return id, nil
	}
	id := fmt.Sprintf("child-%d", len(w.execs)+1)
	w.execs[id] = weft.Execution{
		ID: id, Workflow: name, Status: weft.ExecutionQueued, Trigger: weft.TriggerWorkflow,
		Input: input, ParentID: parentExecution, ParentStep: parentStep,
	}
	w.byKey[key] = id
	return id, nil
}

// Get returns the execution, or an error wrapping weft.ErrNotFound.
func (w *Workflows) Get(_ context.Context, id string) (weft.Execution, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.GetErr != nil {
		return weft.Execution{}, w.GetErr
	}
	e, ok := w.execs[id]
	if !ok {
		return weft.Execution{}, fmt.Errorf("execution %s: %w", id, weft.ErrNotFound)
	}
	return e, nil
}

// Calls returns every Start call so far.
func (w *Workflows) Calls() []StartCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]StartCall(nil), w.calls...)
}

// SetStatus moves execution id to status, with output (for succeeded) or
// errInfo (for failed). It fails the test if id is unknown.
func (w *Workflows) SetStatus(t testing.TB, id string, status weft.ExecutionStatus, output json.RawMessage, errInfo *weft.ErrorInfo) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.execs[id]
	if !ok {
		t.Fatalf("steptest.Workflows: no execution %s", id)
	}
	e.Status, e.Output, e.Error = status, output, errInfo
	w.execs[id] = e
}
