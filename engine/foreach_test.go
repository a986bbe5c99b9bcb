package engine_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
)

// TestForEachItemLimit: a list longer than the limit fails the step before
// any item runs, with an error that gives the count, the limit and the flag.
func TestForEachItemLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *engine.Config) { c.MaxForEachItems = 3 })
	b.put(t, `
name: loop
steps:
  - id: each
    uses: transform
    for_each: "{{ trigger.items }}"
    with: { v: "{{ item }}" }
`)
	ex, steps := b.run(t, "loop", `{"items": [1, 2, 3, 4]}`)
	if ex.Status != weft.ExecutionFailed {
		t.Fatalf("status %s, want failed", ex.Status)
	}
	w := steps["each"]
	if w.Error == nil || w.Error.Code != "for_each_limit" {
		t.Fatalf("step error %+v, want code for_each_limit", w.Error)
	}
	for _, want := range []string{"4 items", "limit of 3", "--max-for-each-items", "WEFT_MAX_FOR_EACH_ITEMS"} {
		if !strings.Contains(w.Error.Message, want) {
			t.Errorf("error %q does not say %q", w.Error.Message, want)
		}
	}
	for k := range steps {
		if strings.HasPrefix(k, "each#") {
			t.Fatalf("item run %s exists; no item may run above the limit", k)
		}
	}

	ok, _ := b.run(t, "loop", `{"items": [1, 2, 3]}`)
	if ok.Status != weft.ExecutionSucceeded {
		t.Fatalf("at the limit: %s %+v", ok.Status, ok.Error)
	}
}
