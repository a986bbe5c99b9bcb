package expr

import (
	"context"
	"strings"
	"testing"
)

// TestNilArgumentMessage: a helper given missing data (nil) fails with the
// documented message naming the helper, never with reflect's or expr's
// internal wording.
func TestNilArgumentMessage(t *testing.T) {
	t.Parallel()
	const rest = " got nil where it needs a value (the data may be missing; use default(x, fallback))"
	for code, fn := range map[string]string{
		"{{ sum(trigger.items) }}":                     "sum",
		"{{ sum(trigger.items, .price) }}":             "sum",
		"{{ mean(trigger.items) }}":                    "mean",
		"{{ median(trigger.items) }}":                  "median",
		"{{ len(trigger.items) }}":                     "len",
		"{{ 1 + len(trigger.items) }}":                 "len",
		"{{ map(trigger.items, # * 2) }}":              "map",
		"{{ filter(trigger.items, # > 1) }}":           "filter",
		"{{ count(trigger.items, # > 1) }}":            "count",
		"{{ all(trigger.items, # > 1) }}":              "all",
		"{{ reduce(trigger.items, #acc + #, 0) }}":     "reduce",
		"{{ keys(trigger.obj) }}":                      "keys",
		"{{ reverse(trigger.items) }}":                 "reverse",
		"{{ join(trigger.items, ',') }}":               "join",
		"{{ abs(trigger.n) }}":                         "abs",
		"{{ int(trigger.n) }}":                         "int",
		"{{ upper(trigger.s) }}":                       "upper",
		"{{ 'total: ' + string(sum(trigger.items)) }}": "sum",
	} {
		tp, err := Compile(code)
		if err != nil {
			t.Errorf("%s: compile: %v", code, err)
			continue
		}
		_, err = tp.Eval(context.Background(), Scope{"trigger": map[string]any{}})
		if err == nil {
			t.Errorf("%s: no error on nil", code)
			continue
		}
		if want := fn + "()" + rest; err.Error() != want {
			t.Errorf("%s:\n got %q\nwant %q", code, err.Error(), want)
		}
		if strings.Contains(err.Error(), "reflect") {
			t.Errorf("%s: %q leaks reflect's message", code, err)
		}
	}
}
