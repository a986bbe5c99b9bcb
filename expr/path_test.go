package expr

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// A template that only reads a path evaluates without the VM; whatever it
// meets on the way, it must give what the VM gives, errors included.
func TestMemberPathMatchesVM(t *testing.T) {
	t.Parallel()
	var nilMap map[string]any
	scope := Scope{
		"trigger": map[string]any{
			"body":    map[string]any{"customer": "c1", "n": 42.0, "deep": map[string]any{"x": []any{1.0}}},
			"nilmap":  nilMap,
			"null":    nil,
			"list":    []any{map[string]any{"a": 1.0}},
			"text":    "hello",
			"when":    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			"typed":   map[string]string{"k": "v"},
			"with.do": "dotted key",
		},
		"steps": map[string]any{"compute": map[string]any{"output": map[string]any{"a": "b"}}},
		"env":   map[string]any{"X": "1"},
		"item":  "it",
		"index": 3,
		"now":   time.Date(2024, 3, 9, 14, 5, 0, 0, time.UTC),
	}
	srcs := []string{
		"trigger", "trigger.body", "trigger.body.customer", "trigger.body.n", "trigger.body.deep",
		"trigger.body.deep.x", "trigger.body.missing", "trigger.missing.deeper.still",
		"trigger.nilmap", "trigger.nilmap.a", "trigger.null", "trigger.null.a",
		"trigger.list", "trigger.list.a", "trigger.text", "trigger.text.a", "trigger.when",
		"trigger.typed", "trigger.typed.k", `trigger["with.do"]`, `trigger['body']['n']`,
		"steps.compute.output", "steps.compute.output.a", "steps.nope.output", "env.X", "env.Y",
		"item", "item.x", "index", "index.x", "event", "event.a", "response.status", "poll",
		"trigger.body?.customer", "trigger.body.n * 2", "trigger.list[0].a", "trigger.nilmap ?? 1",
		"trigger.body.customer + 'x'", "{a: trigger.body.customer}",
	}
	for _, src := range srcs {
		tmpl, err := Compile("{{ " + src + " }}")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, gerr := tmpl.Eval(context.Background(), scope)
		viaVM := *tmpl
		viaVM.parts = append([]part(nil), tmpl.parts...)
		for i := range viaVM.parts {
			viaVM.parts[i].path = nil
		}
		want, werr := viaVM.Eval(context.Background(), scope)
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Errorf("%s: error %v, the VM says %v", src, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %#v, the VM says %#v", src, got, want)
		}
	}
	// The plain paths above do take the fast path.
	for _, src := range []string{"trigger.body.customer", "steps.compute.output", "trigger", `trigger['body']['n']`} {
		tmpl, _ := Compile("{{ " + src + " }}")
		if tmpl.parts[0].path == nil {
			t.Errorf("%s: not evaluated as a path", src)
		}
	}
	for _, src := range []string{"trigger.list[0].a", "upper(trigger.text)", "trigger.body.n * 2", "now", "trigger.when.Year()"} {
		tmpl, err := Compile("{{ " + src + " }}")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if tmpl.parts[0].path != nil {
			t.Errorf("%s: evaluated as a path", src)
		}
	}
}
