package expr_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/weftworks/weft/expr"
)

func TestRenameAndMappingHelpers(t *testing.T) {
	t.Parallel()
	scope := expr.Scope{"trigger": map[string]any{"email_address": "a@x", "id": 1.0, "pw": "s"},
		"steps": []any{map[string]any{"k": "a", "n": 1.0}, map[string]any{"k": "b", "n": 2.0}, map[string]any{"k": "a", "n": 3.0}}}
	for src, want := range map[string]any{
		"{{ rename(trigger, {'email_address': 'email'}) }}":        map[string]any{"email": "a@x", "id": 1.0, "pw": "s"},
		"{{ pick(rename(trigger, {'email_address': 'e'}), 'e') }}": map[string]any{"e": "a@x"},
		"{{ keys(omit(trigger, 'pw', 'email_address')) }}":         []any{"id"},
		"{{ sum(map(steps, .n)) }}":                                6.0,
		"{{ len(groupBy(steps, .k)['a']) }}":                       2,
		"{{ flatten([[1], [2, [3]]]) }}":                           []any{1, 2, 3},
	} {
		tpl, err := expr.Compile(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		got, err := tpl.Eval(context.Background(), scope)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", src, got, want)
		}
	}
}
