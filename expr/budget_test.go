package expr

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/expr-lang/expr/builtin"
)

// hostileScope holds data a webhook caller could send or a workflow could
// compute: a 200 kB string, lists and maps that share it, large strings just
// under and over the per-string limit.
func hostileScope() Scope {
	s := strings.Repeat("x", 200_000)
	refs := make([]any, 1000) // 1,000 references to one 200 kB string: 200 MB as JSON
	for i := range refs {
		refs[i] = s
	}
	list := make([]any, 100_000)
	for i := range list {
		list[i] = i
	}
	obj := make(map[string]any, 100_000)
	for i := range 100_000 {
		obj[strings.Repeat("k", 1+i%7)+string(rune('a'+i%26))+itoa(i)] = i
	}
	pairs := make([]any, 100_000)
	for i := range pairs {
		pairs[i] = []any{itoa(i), i}
	}
	return Scope{"trigger": map[string]any{"body": map[string]any{
		"s":     s,
		"n":     1_000_000,
		"nf":    1e6, // JSON numbers arrive as float64
		"refs":  refs,
		"list":  list,
		"obj":   obj,
		"pairs": pairs,
		"big":   strings.Repeat("ab", 6<<20),                            // 12 MiB
		"huge":  strings.Repeat("y", 20<<20),                            // 20 MiB
		"json":  "[" + strings.Repeat("0,", 8<<20) + "0]",               // 16 MiB of values
		"b64":   strings.Repeat("QUJD", 3<<20),                          // 12 MiB of base64
		"nest":  []any{refs, []any{refs, []any{refs, []any{refs}}}},     // nested sharing
		"deep":  map[string]any{"a": map[string]any{"b": refs}, "c": s}, // nested map
	}}}
}

func itoa(i int) string { return strconv.Itoa(i) }

func mustBuiltin(name string) *builtin.Function { return builtin.Builtins[builtin.Index[name]] }

// TestHostileSizes runs every helper that allocates with sizes an attacker
// would choose. Each must fail with ErrMemoryBudget before it builds its
// result: the test measures what the evaluation allocated and fails when it
// is more than the budget allows (the results refused here would be
// gigabytes or terabytes). It does not run in parallel so the measurement
// sees only its own allocations.
func TestHostileSizes(t *testing.T) {
	scope := hostileScope()
	tests := []string{
		// the two expressions from the report
		"{{ len(repeat(repeat('x', 1000000), 1000000)) }}",
		"{{ repeat(trigger.body.s, trigger.body.n) }}",
		"{{ repeat(trigger.body.s, trigger.body.nf) }}",
		"line: {{ repeat(trigger.body.s, trigger.body.n) }}",
		"{{ trigger.body.s | repeat(1000000) }}",
		"{{ join(trigger.body.refs) }}",
		"{{ join(trigger.body.refs, trigger.body.s) }}",
		"{{ split(trigger.body.huge, '') }}",
		"{{ splitAfter(trigger.body.huge, 'y') }}",
		"{{ replace(trigger.body.s, 'x', trigger.body.s) }}",
		"{{ replace(trigger.body.s, '', trigger.body.s) }}",
		"{{ upper(trigger.body.big) }}",
		"{{ lower(trigger.body.huge) }}",
		"{{ string(trigger.body.refs) }}",
		"{{ toJSON(trigger.body.refs) }}",
		"{{ toJSON(trigger.body.nest) }}",
		"{{ json(trigger.body.refs) }}",
		"{{ json(trigger.body.deep) + json(trigger.body.nest) }}",
		"{{ fromJSON(trigger.body.json) }}",
		"{{ toBase64(trigger.body.huge) }}",
		"{{ base64(trigger.body.huge) }}",
		"{{ fromBase64(trigger.body.huge) }}",
		"{{ map(1..10, base64decode(trigger.body.b64)) }}",
		"{{ map(1..100, keys(trigger.body.obj)) }}",
		"{{ map(1..100, values(trigger.body.obj)) }}",
		"{{ map(1..100, toPairs(trigger.body.obj)) }}",
		"{{ map(1..100, fromPairs(trigger.body.pairs)) }}",
		"{{ map(1..100, reverse(trigger.body.list)) }}",
		"{{ map(1..100, uniq(trigger.body.list)) }}",
		"{{ map(1..100, sort(trigger.body.list, 'desc')) }}",
		"{{ map(1..100, median(trigger.body.list)) }}",
		"{{ map(1..100, concat(trigger.body.list, trigger.body.list)) }}",
		"{{ flatten(map(1..1000, trigger.body.list)) }}",
		"{{ flatten(trigger.body.nest) }}",
		"{{ map(1..100, pick(trigger.body.obj, 'a')) }}",
		"{{ map(1..100, omit(trigger.body.obj, 'a')) }}",
		"{{ map(1..100, rename(trigger.body.obj, {'a': 'b'})) }}",
		"{{ formatDate(now(), trigger.body.huge) }}",
		"{{ reduce(1..100, #acc + #acc, 'x') }}",
		"{{ trigger.body.huge + 'x' }}",
		"{{ 1..100000000 }}",
		// results that share data: small to build, huge to store
		"{{ map(1..1000, trigger.body.s) }}",
		"{{ [trigger.body.refs, trigger.body.refs] }}",
		"{{ trigger.body.refs }}{{ trigger.body.refs }}",
		"{{ trigger.body.s }}{{ trigger.body.huge }}",
		"{{ repeat('x', 10000000) }} and {{ repeat('x', 10000000) }}",
	}
	for _, src := range tests {
		t.Run(src, func(t *testing.T) {
			if raceEnabled && heavyUnderRace[src] {
				t.Skip("single-goroutine work of seconds under -race; .ci/run runs it without -race (see heavyUnderRace)")
			}
			tm, err := Compile(src)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			before := allocated()
			out, err := tm.Eval(context.Background(), scope)
			grew := allocated() - before
			if !errors.Is(err, ErrMemoryBudget) || !strings.Contains(err.Error(), "memory budget exceeded") {
				t.Fatalf("got %v (result %d bytes as JSON), want the memory budget error", err, encodedSize(out, 1<<40, false))
			}
			if limit := uint64(MaxEvalBytes + 32<<20); grew > limit {
				t.Errorf("allocated %d bytes before refusing, want at most %d", grew, limit)
			}
		})
	}
}

// heavyUnderRace are the expressions of TestHostileSizes and
// TestEvalErrors that are refused only after seconds of single-goroutine
// work: a helper run a hundred times over 100,000 values until the shared
// budget is spent, or five million loop iterations. The race detector has
// nothing to find in one goroutine's evaluation and makes each of them ten
// times slower, so a -race build leaves them out. The lighter cases still
// reach every kind of refusal under it (the shared budget across calls by
// map(1..100, concat/sort/median(...)) and map(1..1000, ...), the iteration
// limit by TestUniqComparisonsCounted). .ci/run runs them all without -race:
//
//	go test -run '^(TestHostileSizes|TestEvalErrors)$' ./expr
var heavyUnderRace = map[string]bool{
	"{{ map(1..10, base64decode(trigger.body.b64)) }}":          true,
	"{{ map(1..100, keys(trigger.body.obj)) }}":                 true,
	"{{ map(1..100, values(trigger.body.obj)) }}":               true,
	"{{ map(1..100, toPairs(trigger.body.obj)) }}":              true,
	"{{ map(1..100, fromPairs(trigger.body.pairs)) }}":          true,
	"{{ map(1..100, reverse(trigger.body.list)) }}":             true,
	"{{ map(1..100, uniq(trigger.body.list)) }}":                true,
	"{{ flatten(map(1..1000, trigger.body.list)) }}":            true,
	"{{ map(1..100, pick(trigger.body.obj, 'a')) }}":            true,
	"{{ map(1..100, omit(trigger.body.obj, 'a')) }}":            true,
	"{{ map(1..100, rename(trigger.body.obj, {'a': 'b'})) }}":   true,
	"{{ sum(map(trigger.list, count(trigger.list, # >= 0))) }}": true,
}

func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestValueBudgetShared checks that the budget covers all of a step's inputs
// together: each input alone fits, all of them do not.
func TestValueBudgetShared(t *testing.T) {
	t.Parallel()
	in := map[string]any{}
	for i := range 8 {
		in["k"+itoa(i)] = "{{ repeat('x', 12000000) }}"
	}
	v, err := CompileValue(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Eval(context.Background(), nil); !errors.Is(err, ErrMemoryBudget) {
		t.Fatalf("got %v, want the memory budget error", err)
	}
	one, err := CompileValue(map[string]any{"a": "{{ repeat('x', 12000000) }}"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := one.Eval(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.(map[string]any)["a"].(string)); n != 12000000 {
		t.Errorf("len = %d", n)
	}
}

// TestGuardedSemantics checks that the guarded replacements of expr's
// builtins behave like the originals on ordinary data.
func TestGuardedSemantics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want any
	}{
		{"{{ repeat('ab', 3) }}", "ababab"},
		{"{{ repeat('ab', 0) }}", ""},
		{"{{ len(repeat('', 100000000)) }}", 0},
		{"{{ 'ab' | repeat(2) }}", "abab"},
		{"{{ join(['a', 'b'], '-') }}", "a-b"},
		{"{{ join(['a', 'b']) }}", "ab"},
		{"{{ split('a,b,c', ',') }}", []any{"a", "b", "c"}},
		{"{{ split('a,b,c', ',', 2) }}", []any{"a", "b,c"}},
		{"{{ splitAfter('a,b', ',') }}", []any{"a,", "b"}},
		{"{{ replace('aaa', 'a', 'bb') }}", "bbbbbb"},
		{"{{ replace('aaa', 'a', 'b', 2) }}", "bba"},
		{"{{ upper('ab') + lower('CD') }}", "ABcd"},
		{"{{ string(12) }}", "12"},
		{"{{ toJSON({a: [1]}) }}", "{\n  \"a\": [\n    1\n  ]\n}"},
		{"{{ fromJSON('{\"a\": [1, 2]}').a[1] }}", 2.0},
		{"{{ toBase64('hi') }}", "aGk="},
		{"{{ fromBase64('aGk=') }}", "hi"},
		{"{{ sort(keys({b: 1, a: 2})) }}", []any{"a", "b"}},
		{"{{ sort(values({b: 1, a: 2})) }}", []any{1, 2}},
		{"{{ len(toPairs({a: 1})) }}", 1},
		{"{{ fromPairs([['a', 1]]).a }}", 1},
		{"{{ reverse([1, 2, 3]) }}", []any{3, 2, 1}},
		{"{{ uniq([1, 1, 2]) }}", []any{1, 2}},
		{"{{ uniq([1, 1.0, '1', nil, nil, true, [1], [1], {a: 1}, {a: 1}, 2.5, 2.5]) }}", []any{1, "1", nil, true, []any{1}, map[string]any{"a": 1}, 2.5}},
		{"{{ sort([3, 1, 2], 'desc') }}", []any{3, 2, 1}},
		{"{{ median([1, 2, 3]) }}", 2.0},
		{"{{ concat([1], [2, 3]) }}", []any{1, 2, 3}},
		{"{{ flatten([[1], [2, [3]]]) }}", []any{1, 2, 3}},
		{"{{ json(pick({a: 1, b: 2}, 'a')) }}", `{"a":1}`},
		{"{{ base64decode(base64('x:y')) }}", "x:y"},
		{"{{ formatDate('2024-03-09', 'DateOnly', 'UTC') }}", "2024-03-09"},
		{"{{ len(1..1000) }}", 1000},
		{"a {{ [1, 'b'] }} c", `a [1,"b"] c`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			tm, err := Compile(tt.src)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := tm.Eval(context.Background(), testScope())
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestUniqComparisonsCounted checks that uniq over values it cannot hash
// (lists, maps) stops at the iteration limit instead of running for minutes.
func TestUniqComparisonsCounted(t *testing.T) {
	t.Parallel()
	tm, err := Compile("{{ uniq(map(trigger.body.list, [#])) }}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tm.Eval(context.Background(), hostileScope())
	if err == nil || !strings.Contains(err.Error(), "loop iterations") {
		t.Fatalf("got %v, want the iteration limit", err)
	}
}

// TestGuardedCompileErrors checks that replacing the builtins kept their
// compile-time checks, and that the hidden argument stays hidden.
func TestGuardedCompileErrors(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"{{ repeat(1, 2) }}",
		"{{ upper(1) }}",
		"{{ keys(1) }}",
		"{{ flatten(1) }}",
		"{{ sort(1) }}",
		"{{ __weft }}",
		"{{ repeat(__weft, 'x', 2) }}",
	} {
		if _, err := Compile(src); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", src)
		}
	}
}

func TestEncodedSize(t *testing.T) {
	t.Parallel()
	for _, v := range []any{
		nil, true, "plain", "quote\" <tag> & \n\x01", "ünïcode", 12, 1.5,
		[]any{1, "a", []any{}, map[string]any{}},
		map[string]any{"a": []any{1, 2}, "b": map[string]any{"c": nil}},
		[]string{"x", "y"}, []int{1, 2, 3},
	} {
		for _, indent := range []bool{false, true} {
			var b strings.Builder
			if indent {
				out, _ := callBuiltin(mustBuiltin("toJSON"), []any{v})
				b.WriteString(out.(string))
			} else {
				if err := interpolate(&b, map[string]any{"v": v}, 1<<20); err != nil {
					t.Fatal(err)
				}
			}
			got := encodedSize(v, 1<<20, indent)
			if !indent {
				got = encodedSize(map[string]any{"v": v}, 1<<20, false)
			}
			if got < b.Len() {
				t.Errorf("encodedSize(%#v, indent=%v) = %d, below the real %d", v, indent, got, b.Len())
			}
		}
	}
	if n := encodedSize(hostileScope(), 1000, false); n <= 1000 {
		t.Errorf("encodedSize over the limit = %d, want > 1000", n)
	}
}
