package jq_test

import (
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/itchyny/gojq"

	"github.com/weftworks/weft/connectors/jq"
	"github.com/weftworks/weft/step"
)

// hostileInput is what a webhook caller could send: a 200 kB string, a
// count, a list of references to the string.
func hostileInput() map[string]any {
	s := strings.Repeat("x", 200_000)
	refs := make([]any, 1000)
	for i := range refs {
		refs[i] = s
	}
	return map[string]any{"s": s, "n": 1_000_000, "nf": 1e6, "refs": refs, "big": strings.Repeat("ab", 4<<20)}
}

// hostilePrograms each would allocate gigabytes (or run for hours) without
// the limits.
var hostilePrograms = []string{
	`.s * .n`,
	`.n * .s`,
	`.s * .nf`,
	`reduce range(40) as $i (.s; . + .)`,
	`reduce range(40) as $i ([.s]; . + .)`,
	`reduce range(40) as $i ({a: .s}; {a: ., b: .}) | . * .`,
	`reduce range(200) as $i (2; . * .)`,
	`[range(1e9)]`,
	`[limit(1e9; repeat(.))]`,
	`[range(1e9)] | length`,
	`.refs | tostring`,
	`.refs | tojson`,
	`.refs | @base64`,
	`.refs | @json`,
	`.refs | join(",")`,
	`.refs | add`,
	`.refs | add(.[])`,
	`.s as $s | [.refs[], .refs[]] | join($s)`,
	`.big | ascii_downcase | ascii_upcase | . + . + .`,
	`.s as $s | [range(1000) | $s] | tostring`,
	`[.refs[] | explode] | length`,
	`.refs | map(explode | implode) | add`,
	`"\(.refs)\(.refs)"`,
	`@base64 "\(.refs)"`,
	`.refs as $r | [$r, $r, $r, $r] | combinations | add`,
	`[.refs[] | {k: .}] | group_by(.k) | tojson`,
	`.big / ""`,
	`.big | split("")`,
	`[.big | match(""; "g")] | length`,
	`.big | gsub(""; "yy")`,
	`.s | gsub("x"; .)`,
	`.[.n * 500] = 1`,
	`setpath([.n * 500]; 1)`,
	`getpath([.n * 500]) = 1`,
	`[.refs[] | [.]] | transpose | transpose | transpose | tojson`,
	`.big | strftime(.)`,
	`def f: [f, f]; f`,
	`[.refs, .refs, .refs, .refs] | flatten | tojson`,
	`reduce range(30) as $i ([1]; [., .]) | flatten`,
	`[range(1e5)] as $a | $a - $a`,
	`.refs | [.[] * 80]`,
	`.s as $s | [range(100) | $s * 80]`,
	`[range(1e6)] | map(. as $i | {($i|tostring): $i}) | add`,
	`try (.s * .n) catch [range(1e9)]`,
	`[.[]?, (.refs | .[] | . * 80)?]`,
}

// heavyPrograms are the hostile programs that are refused only after
// seconds of single-goroutine work: they run to MaxInstructions or build up
// to MaxBuiltBytes or MaxOutputBytes before the limit stops them. The race
// detector has nothing to find in one goroutine's evaluation and makes each
// of them five to ten times slower, so a -race build leaves them out of
// TestHostilePrograms and FuzzJQ's seeds. The lighter programs still reach
// every kind of refusal but the output limit under it: instructions
// ($a - $a), built bytes (. * 80 under ?), string length, elements,
// integer size and index. .ci/run runs the full list without -race:
//
//	go test -run '^(TestHostilePrograms|FuzzJQ)$' ./connectors/jq
var heavyPrograms = map[string]bool{
	`def f: [f, f]; f`:        true,
	`[range(1e9)]`:            true,
	`[range(1e9)] | length`:   true,
	`[limit(1e9; repeat(.))]`: true,
	`[range(1e6)] | map(. as $i | {($i|tostring): $i}) | add`: true,
	`[.refs[] | explode] | length`:                            true,
	`.refs | map(explode | implode) | add`:                    true,
	`.refs as $r | [$r, $r, $r, $r] | combinations | add`:     true,
	`.big | ascii_downcase | ascii_upcase | . + . + .`:        true,
	`.big | gsub(""; "yy")`:                                   true,
	`[.big | match(""; "g")] | length`:                        true,
	`reduce range(40) as $i ([.s]; . + .)`:                    true,
}

// hostileForBuild is hostilePrograms, without heavyPrograms under -race.
func hostileForBuild() []string {
	if !raceEnabled {
		return hostilePrograms
	}
	var light []string
	for _, src := range hostilePrograms {
		if !heavyPrograms[src] {
			light = append(light, src)
		}
	}
	return light
}

// TestHeavyProgramsAreHostile keeps heavyPrograms a subset of
// hostilePrograms, so that leaving them out under -race leaves out nothing
// that the full run does not cover.
func TestHeavyProgramsAreHostile(t *testing.T) {
	t.Parallel()
	all := map[string]bool{}
	for _, src := range hostilePrograms {
		all[src] = true
	}
	for src := range heavyPrograms {
		if !all[src] {
			t.Errorf("heavyPrograms lists %q, which is not in hostilePrograms", src)
		}
	}
	if got, want := len(hostileForBuild()), len(hostilePrograms); raceEnabled && got != want-len(heavyPrograms) || !raceEnabled && got != want {
		t.Errorf("hostileForBuild gives %d programs of %d (race detector: %v)", got, want, raceEnabled)
	}
}

// TestHostilePrograms runs every hostile program: each must fail the step
// with the budget error (code jq_limit) having allocated a bounded amount.
// It does not run in parallel so the measurement sees only its own work.
// Under -race it leaves out heavyPrograms (run without -race by .ci/run).
func TestHostilePrograms(t *testing.T) {
	in := hostileInput()
	for _, src := range hostileForBuild() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := run(t, map[string]any{"input": in, "program": src, "all": true, "timeout": "5m"})
		runtime.ReadMemStats(&after)
		if err == nil || !errors.Is(err, jq.ErrMemoryBudget) || !strings.Contains(err.Error(), "jq: memory budget exceeded: ") {
			t.Errorf("%s: want a memory budget error, got %v", src, err)
			continue
		}
		if code := step.ErrorInfo(err).Code; code != "jq_limit" {
			t.Errorf("%s: code %q, want jq_limit", src, code)
		}
		// The run may build up to MaxBuiltBytes plus what the VM keeps per
		// instruction; the bombs above would build gigabytes.
		t.Logf("%s: %d MiB allocated: %v", src, (after.TotalAlloc-before.TotalAlloc)>>20, err)
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<30 {
			t.Errorf("%s: allocated %d MiB", src, got>>20)
		}
	}
}

// equivalencePrograms are ordinary programs; with the guards they must
// give exactly what gojq gives (values and error messages).
var equivalencePrograms = []string{
	`.`, `.a + .b`, `[(1,2) + (10,20)]`, `[(1,2) * (10,20)]`, `[(4,2) / (2,1)]`, `[(4,2) - (2,1)]`,
	`.s + "x"`, `.s * 3`, `3 * .s`, `.s * 0`, `.s * -1`, `.s * 1.5`, `"a,b,c" / ","`, `"abc" / ""`, `"" / ","`,
	`[1,2,3] - [2]`, `{a: {b: 1, c: 2}} * {a: {b: 3}, d: 4}`, `{a: 1} + {b: 2}`, `[1] + [2]`, `null + 1`, `1 + null`,
	`9223372036854775807 + 1`, `9223372036854775807 * 9223372036854775807`, `(9223372036854775807 * 4) * (9223372036854775807 * 4)`,
	`"a" + 1`, `{} * 2`, `[] * 2`, `"a" - "b"`, `1 / 0`, `"a" / 1`, `[] / []`,
	`.a += 1`, `.a -= 1`, `.a *= 3`, `.a /= 2`, `.l[1] += 10`, `.l |= map(. * 2)`,
	`"x\(.a)y\(.l)z"`, `@base64 "v=\(.s)"`, `@html "<\(.s)>"`, `@uri "\(.s)&"`, `@csv "\(.l)"`, `@sh "\(.s)"`, `@json "\(.l)"`, `@text "\(.a)"`,
	`@base64`, `@base64d`, `.l | @csv`, `.l | @tsv`, `@html`, `@json`, `@text`, `@uri`, `@sh`, `.l | @sh`, `@base32`, `@base32d`,
	`tostring`, `tojson`, `.l | tostring`, `tojson | fromjson`, `.s | ascii_downcase`, `.s | ascii_upcase`, `.s | explode`, `.s | explode | implode`,
	`.l | add`, `[.l, .l] | add`, `[.s, .s] | add`, `[] | add`, `add(.l[])`, `.l | join("-")`, `[1, null, "a", true] | join(",")`, `[[1]] | join(",")`,
	`[[1,[2]],3] | flatten`, `[[1,[2]],3] | flatten(1)`, `[[1,[2]],3] | flatten(-1)`, `[[1,2],[3]] | transpose`, `.l | sort`, `[3,1,3] | unique`,
	`[{a:2},{a:1}] | sort_by(.a)`, `[{a:2},{a:1},{a:2}] | group_by(.a)`, `[{a:2},{a:1},{a:2}] | unique_by(.a)`,
	`.s | split(",")`, `"a1b2" | split("[0-9]"; null)`, `"a1b22c" | [splits("[0-9]+")]`, `"abc" | sub("b"; "X")`, `"abab" | gsub("a"; "<\(.)>")`,
	`"aXbX" | gsub("x"; "-"; "i")`, `"foo bar" | [match("o+"; "g") | .string]`, `"foo" | test("O"; "i")`, `"a1" | capture("(?<d>[0-9])")`, `"a1b2" | [scan("[0-9]")]`,
	`[.l[] as $x | {k: "\($x)", v: $x}] | INDEX(.k)`, `INDEX([{id:1},{id:2}][]; .id)`, `{a:1} | to_entries | from_entries`, `{a:1} | with_entries(.value += 1)`,
	`setpath(["a", 1]; 5)`, `getpath(["l", 0])`, `path(getpath(["a", "b"]))`, `getpath(["x"]) = 3`, `.l[.a] = 9`, `.l[-1]`, `.l[1:]`, `.["a"]`, `."a"`,
	`[paths]`, `[..] | length`, `tostream`, `[.l | combinations(2)] | length`, `def f: . + 1; [.l[] | f]`, `def tostring: "mine"; [tostring, "\(1)"]`,
	`def _add(a; b): 99; [.a += 1, 1 + 2]`, `"abc" | indices("b")`, `now | type`, `0 | strftime("%Y-%m-%dT%H:%M:%SZ")`, `0 | todate`, `"x" * nan`,
	`reduce .l[] as $x (""; . + ($x | tostring))`, `reduce range(5) as $i ({}; . + {($i|tostring): $i})`, `[limit(3; repeat(1))]`, `[range(10)] | length`,
	`try error("boom") catch .`, `error("boom")`, `try ("a" * {}) catch .`, `[.[] | numbers]`, `{(.s): 1}`, `{"k\(.a)": 1}`, `."k\(.a)"`, `. as {a: $v, "\(.s)": $w} | [$v, $w]`,
	`$__loc__`, `input_line_number? // 1`, `[splits(", ")]?`, `ltrimstr("a")`, `.l | min_by(.)`, `[.l[] | -.]`, `-(.a)`,
}

func TestGuardedProgramsBehaveAsBefore(t *testing.T) {
	t.Parallel()
	in := map[string]any{"a": 1, "b": 2, "s": "Ab,c&<'x", "l": []any{3, 1, 2}}
	for _, src := range equivalencePrograms {
		want, wantErr := plain(src, in)
		got, err := run(t, map[string]any{"input": in, "program": src, "all": true})
		if wantErr != "" {
			if err == nil || !strings.HasSuffix(err.Error(), ": "+wantErr) {
				t.Errorf("%s: error %v, want jq: %s", src, err, wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v (gojq gives %#v)", src, err, want)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", src, got, want)
		}
	}
}

// plain runs src with gojq as it is, without the guards.
func plain(src string, in any) ([]any, string) {
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, err.Error()
	}
	c, err := gojq.Compile(q)
	if err != nil {
		return nil, err.Error()
	}
	out := []any{}
	it := c.Run(in)
	for {
		v, ok := it.Next()
		if !ok {
			return out, ""
		}
		if err, ok := v.(error); ok {
			return nil, err.Error()
		}
		out = append(out, v)
	}
}
