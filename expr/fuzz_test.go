package expr

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets drive the helpers that allocate with inputs decoded from
// the fuzzer's bytes: nested lists and maps that share their parts (a few
// bytes can describe a value of terabytes), strings and counts. Each checks
// that evaluation does not panic, that it fails only with an evaluation
// error (the memory budget error among them), that a result stays within
// the limits, and that the evaluation allocated no more than the budget
// allows. .ci/fuzz runs every target for a bounded time.

// fuzzAllocLimit is what one evaluation may allocate: the helpers' budget,
// plus what expr's own loops and ranges build, which MaxIterations and
// MemoryBudget bound in elements (a list slot, a boxed value and the
// doubling of a growing list per element), plus slack for the measurement.
const fuzzAllocLimit = MaxEvalBytes + 48*MaxIterations + 24*MemoryBudget + 32<<20

// decodeValue builds a value from fuzz bytes. It keeps the values it built
// so that later ones can repeat earlier ones by reference: "a list of 200
// copies of the previous list" costs one byte and multiplies the logical
// size.
func decodeValue(data []byte) any {
	var built []any
	last := func() any {
		if len(built) == 0 {
			return "x"
		}
		return built[len(built)-1]
	}
	for i := 0; i < len(data); i++ {
		op := data[i] % 8
		arg := 0
		if i+1 < len(data) {
			i++
			arg = int(data[i])
		}
		var v any
		switch op {
		case 0: // a string of arg bytes
			v = strings.Repeat(string(rune('a'+arg%26)), arg)
		case 1: // a number
			v = arg * 1000
		case 2: // a list of arg references to the previous value
			l := make([]any, arg)
			for j := range l {
				l[j] = last()
			}
			v = l
		case 3: // a map of arg keys, each holding the previous value
			m := make(map[string]any, arg)
			for j := 0; j < arg; j++ {
				m[strings.Repeat("k", 1+j%5)+string(rune('a'+j%26))+string(rune('0'+j/26))] = last()
			}
			v = m
		case 4: // the previous value's string doubled up to arg times
			s, _ := last().(string)
			v = strings.Repeat(s+"y", 1+arg%64)
		case 5: // a pair list of the two previous values
			prev := any(nil)
			if len(built) > 1 {
				prev = built[len(built)-2]
			}
			v = []any{prev, last()}
		case 6:
			v = nil
		case 7:
			v = arg%2 == 0
		}
		built = append(built, v)
	}
	return last()
}

// evalFuzz compiles src, evaluates it over scope and checks the properties
// every target shares.
func evalFuzz(t *testing.T, src string, scope Scope) {
	t.Helper()
	tm, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	before := allocated()
	out, err := tm.Eval(context.Background(), scope)
	grew := allocated() - before
	if grew > fuzzAllocLimit {
		t.Fatalf("%s allocated %d bytes, more than %d (err %v)", src, grew, fuzzAllocLimit, err)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: error %T %v is not an evaluation error", src, err, err)
		}
		for _, bug := range []string{"invalid memory address", "index out of range", "slice bounds out of range", "stack overflow"} {
			if strings.Contains(err.Error(), bug) {
				t.Fatalf("%s: %v", src, err)
			}
		}
		return
	}
	if n := encodedSize(out, MaxEvalBytes, false); n > MaxEvalBytes {
		t.Fatalf("%s: result of more than %d bytes as JSON", src, MaxEvalBytes)
	}
	// A string may be longer than MaxStringLen only when it was in the
	// input already (a reference builds nothing).
	if s, ok := out.(string); ok && len(s) > max(MaxStringLen, longestString(map[string]any(scope), map[uintptr]bool{})) {
		t.Fatalf("%s: string of %d bytes", src, len(s))
	}
}

func fuzzScope(v any, s string, n int) Scope {
	return Scope{"trigger": map[string]any{"body": map[string]any{"v": v, "s": s, "n": n}}}
}

func FuzzRepeat(f *testing.F) {
	f.Add("x", 1_000_000, []byte{0, 200, 4, 63})
	f.Add(strings.Repeat("ab", 1000), 9000, []byte{})
	f.Add("", -3, []byte{2, 10})
	f.Fuzz(func(t *testing.T, s string, n int, data []byte) {
		scope := fuzzScope(decodeValue(data), s, n)
		evalFuzz(t, "{{ repeat(trigger.body.s, trigger.body.n) }}", scope)
		evalFuzz(t, "{{ len(repeat(repeat(trigger.body.s, trigger.body.n), trigger.body.n)) }}", scope)
		evalFuzz(t, "x{{ repeat(string(trigger.body.v), trigger.body.n) }}y{{ trigger.body.v }}", scope)
	})
}

func FuzzJoin(f *testing.F) {
	f.Add(",", []byte{0, 255, 2, 255, 2, 255})
	f.Add("", []byte{0, 3, 4, 60, 2, 200})
	f.Fuzz(func(t *testing.T, glue string, data []byte) {
		scope := fuzzScope(decodeValue(data), glue, 0)
		evalFuzz(t, "{{ join(trigger.body.v, trigger.body.s) }}", scope)
		evalFuzz(t, "{{ join(map(flatten([trigger.body.v]), string(#)), trigger.body.s) }}", scope)
		evalFuzz(t, "{{ split(string(trigger.body.v), trigger.body.s) }}", scope)
		evalFuzz(t, "{{ replace(string(trigger.body.v), trigger.body.s, toJSON(trigger.body.v)) }}", scope)
	})
}

func FuzzToJSON(f *testing.F) {
	f.Add([]byte{0, 200, 2, 255, 3, 255, 2, 255, 5, 0})
	f.Add([]byte{1, 5, 3, 2, 2, 2})
	f.Add([]byte{0, 10, 4, 63, 4, 63, 4, 63})
	f.Fuzz(func(t *testing.T, data []byte) {
		scope := fuzzScope(decodeValue(data), "", 0)
		for _, src := range []string{
			"{{ toJSON(trigger.body.v) }}",
			"{{ json(trigger.body.v) }}",
			"{{ fromJSON(json(trigger.body.v)) }}",
			"{{ string(trigger.body.v) }}",
			"{{ trigger.body.v }}",
			"v={{ trigger.body.v }}",
			"{{ [trigger.body.v, trigger.body.v, keys(trigger.body.v ?? {})] }}",
			"{{ flatten([trigger.body.v, trigger.body.v]) }}",
			"{{ uniq(flatten([trigger.body.v])) }}",
		} {
			evalFuzz(t, src, scope)
		}
	})
}

func FuzzBase64(f *testing.F) {
	f.Add("hello", 3, []byte{0, 255, 4, 63})
	f.Add("QUJD", 1_000_000, []byte{})
	f.Fuzz(func(t *testing.T, s string, n int, data []byte) {
		scope := fuzzScope(decodeValue(data), s, n)
		evalFuzz(t, "{{ base64(repeat(trigger.body.s, trigger.body.n)) }}", scope)
		evalFuzz(t, "{{ toBase64(toJSON(trigger.body.v)) }}", scope)
		evalFuzz(t, "{{ base64decode(base64(string(trigger.body.v))) }}", scope)
		evalFuzz(t, "{{ fromBase64(trigger.body.s) }}", scope)
		evalFuzz(t, "{{ map(1..20, base64(string(trigger.body.v))) }}", scope)
	})
}

func FuzzRange(f *testing.F) {
	f.Add(1, 1_000_000, []byte{2, 100})
	f.Add(-5, 5, []byte{0, 200})
	f.Add(0, 1<<40, []byte{})
	f.Fuzz(func(t *testing.T, lo, hi int, data []byte) {
		scope := Scope{"trigger": map[string]any{"body": map[string]any{"lo": lo, "hi": hi, "v": decodeValue(data)}}}
		evalFuzz(t, "{{ len(trigger.body.lo..trigger.body.hi) }}", scope)
		evalFuzz(t, "{{ map(trigger.body.lo..trigger.body.hi, trigger.body.v) }}", scope)
		evalFuzz(t, "{{ reverse(sort(trigger.body.lo..trigger.body.hi)) }}", scope)
		evalFuzz(t, "{{ concat(trigger.body.lo..trigger.body.hi, [trigger.body.v]) }}", scope)
	})
}

// longestString is the length of the longest string in v, visiting each
// shared list or map once (fuzz values share their parts).
func longestString(v any, seen map[uintptr]bool) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case Scope:
		return longestString(map[string]any(x), seen)
	case map[string]any:
		p := reflect.ValueOf(x).Pointer()
		if seen[p] {
			return 0
		}
		seen[p] = true
		n := 0
		for _, e := range x {
			n = max(n, longestString(e, seen))
		}
		return n
	case []any:
		if len(x) == 0 {
			return 0
		}
		p := reflect.ValueOf(x).Pointer()
		if seen[p] {
			return 0
		}
		seen[p] = true
		n := 0
		for _, e := range x {
			n = max(n, longestString(e, seen))
		}
		return n
	}
	return 0
}
