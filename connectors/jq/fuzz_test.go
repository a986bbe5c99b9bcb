package jq_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/jq"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
)

// FuzzJQ runs arbitrary programs on webhook-like data (a 20 kB string, a
// count, shared references). The step must not panic, must fail only with a
// step error, and a result must stay within the output limit. Seeds are the
// hostile programs of TestHostilePrograms and the ordinary ones of
// TestGuardedProgramsBehaveAsBefore (under -race without heavyPrograms,
// which .ci/run runs without it). .ci/fuzz runs it for a bounded time.
func FuzzJQ(f *testing.F) {
	for _, src := range hostileForBuild() {
		f.Add(src)
	}
	for _, src := range equivalencePrograms {
		f.Add(src)
	}
	s := strings.Repeat("x", 20_000)
	refs := make([]any, 100)
	for i := range refs {
		refs[i] = s
	}
	reg := step.NewRegistry()
	if err := jq.Register(reg); err != nil {
		f.Fatal(err)
	}
	r, _ := reg.Lookup("jq")
	f.Fuzz(func(t *testing.T, src string) {
		in := map[string]any{"s": s, "n": 1_000_000, "nf": 1e6, "refs": refs, "big": s + s, "a": 1, "l": []any{3, 1, 2}}
		res, err := r.Handler.Run(context.Background(), &step.Request{Type: "jq", With: map[string]any{
			"input": in, "program": src, "all": true, "timeout": "10s",
		}})
		if err != nil {
			var ce *step.CodedError
			if !errors.As(err, &ce) {
				t.Fatalf("%q: error without a code: %v", src, err)
			}
			return
		}
		if n := expr.EncodedSize(res.Output, jq.MaxOutputBytes+1); n > jq.MaxOutputBytes {
			t.Fatalf("%q: result of %d bytes", src, n)
		}
	})
}
