package core_test

import (
	"errors"
	"testing"

	"github.com/weftworks/weft/connectors/core"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

// newRegistry returns a registry holding the core types only.
func newRegistry(t *testing.T) *step.Registry {
	t.Helper()
	reg := step.NewRegistry()
	if err := core.Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestSpecs(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	steptest.CheckRegistry(t, reg)
	want := []string{"approval", "event.emit", "fail", "respond", "transform", "wait", "workflow.call"}
	got := reg.Types()
	if len(got) != len(want) {
		t.Fatalf("types = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("types = %v, want %v", got, want)
		}
	}
}

func TestRegisterTwice(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	if err := core.Register(reg); err == nil {
		t.Fatal("second Register succeeded, want a duplicate error")
	}
}

// codeOf returns the CodedError code of err, "" if none.
func codeOf(err error) string {
	var ce *step.CodedError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}
