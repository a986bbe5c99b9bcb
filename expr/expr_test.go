package expr

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testScope() Scope {
	return Scope{
		"trigger": map[string]any{"body": map[string]any{
			"name":  "Ada",
			"spend": 12000,
			"tags":  []any{"a", "b"},
			"items": []any{
				map[string]any{"s": "open", "n": 1},
				map[string]any{"s": "done", "n": 2.5},
				map[string]any{"s": "open", "n": 3},
			},
		}},
		"steps": map[string]any{"customer": map[string]any{"output": map[string]any{"id": 7}}},
		"item":  "x",
		"index": 2,
		"now":   time.Date(2024, 3, 9, 14, 5, 0, 0, time.UTC),
	}
}

func TestTemplateEval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want any
	}{
		{"plain text", "plain text"},
		{"{{ trigger.body.name }}", "Ada"},
		{"  {{ trigger.body.spend }}  ", 12000},
		{"{{ trigger.body.spend > 10000 }}", true},
		{"{{ trigger.body.tags }}", []any{"a", "b"}},
		{"Hello {{ trigger.body.name }}!", "Hello Ada!"},
		{"id={{ steps.customer.output.id }}", "id=7"},
		{"{{ trigger.body.tags }} and {{ nil }}.", `["a","b"] and .`},
		{"{{ 1.5 }}/{{ 2.0 }}", "1.5/2"},
		{"{{ steps.missing.output.body.name }}", nil},
		{"{{ trigger.nope.deeper }}", nil},
		{"{{ item }}-{{ index }}", "x-2"},
		{"{{ {a: {b: 1}} }}", map[string]any{"a": map[string]any{"b": 1}}},
		{`{{ "}}" }}`, "}}"},
		{"{{ upper(trigger.body.name) }} {{ lower('ÆB') }} [{{ trim('  x ') }}]", "ADA æb [x]"},
		{"{{ json({a: [1, 'x']}) }}", `{"a":[1,"x"]}`},
		{"{{ fromJSON('{\"a\": 2}').a }}", float64(2)},
		{"{{ base64('hi') }}", "aGk="},
		{"{{ base64decode('aGk=') }}", "hi"},
		{"{{ sha256('abc') }}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"{{ now() }}", "2024-03-09T14:05:00Z"},
		{"{{ now }}", "2024-03-09T14:05:00Z"},
		{"{{ formatDate(now(), 'YYYY') }}", "YYYY"},
		{"{{ formatDate(now(), '2006-01-02') }}", "2024-03-09"},
		{"{{ formatDate(now(), 'DateTime', 'Europe/Copenhagen') }}", "2024-03-09 15:05:00"},
		{"{{ formatDate('2024-01-02T03:04:05Z', 'unix') }}", "1704164645"},
		{"{{ parseDate('09/03/2024', '02/01/2006') }}", "2024-03-09T00:00:00Z"},
		{"{{ parseDate('2024-03-09') < now() }}", true},
		{"{{ default(trigger.body.missing, 'n/a') }}", "n/a"},
		{"{{ default('', 'n/a') }}", "n/a"},
		{"{{ default(0, 5) }}", 0},
		{"{{ coalesce(nil, '', trigger.body.name, 'z') }}", "Ada"},
		{"{{ pick(trigger.body, 'name', 'spend') }}", map[string]any{"name": "Ada", "spend": 12000}},
		{"{{ keys(omit(trigger.body, ['items', 'tags', 'spend'])) }}", []any{"name"}},
		{"{{ flatten([[1], [2, [3]]]) }}", []any{1, 2, 3}},
		{"{{ sum(trigger.body.items, 'n') }}", 6.5},
		{"{{ sum([1, 2]) }}", 3},
		{"{{ len(groupBy(trigger.body.items, 's').open) }}", 2},
		{"{{ map(sortBy(trigger.body.items, 'n', 'desc'), .n) }}", []any{3, 2.5, 1}},
		{"{{ map(filter(trigger.body.items, .s == 'open'), #.n * 2) }}", []any{2, 6}},
		{"{{ 'a' + 'b' }}", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			if raceEnabled && heavyUnderRace[tt.src] {
				t.Skip("five million loop iterations under -race; .ci/run runs it without -race (see heavyUnderRace)")
			}
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

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src    string
		offset int
		msg    string
	}{
		{"{{ foo.bar }}", 3, "unknown name foo (an expression may use trigger, steps"},
		{"abc {{ 1 + }}", 10, "unexpected token EOF"},
		{"abc {{ trigger.x", 4, "unclosed {{"},
		{"{{ }}", 2, "empty expression"},
		{"{{ __weft }}", 3, "reserved"},
		{"{{ nosuch(1) }}", 3, "unknown name nosuch"},
		{"ä {{ 'é' + }}", 12, "unexpected token EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.src)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error, got %v", err)
			}
			if e.Offset != tt.offset || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("got offset %d %q, want offset %d containing %q", e.Offset, e.Message, tt.offset, tt.msg)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	big := make([]any, 5000)
	for i := range big {
		big[i] = i
	}
	scope := testScope()
	scope["trigger"] = map[string]any{"list": big}
	tests := []struct {
		src string
		msg string
	}{
		{"{{ upper(steps.a.b) }}", "got nil"},
		{"{{ sha256(steps.a) }}", "sha256: argument is nil"},
		{"{{ reduce(1..100, #acc + #acc, 'x') }}", "memory budget exceeded"},
		{"{{ sum(map(trigger.list, count(trigger.list, # >= 0))) }}", "loop iterations"},
		{"{{ 1..100000000 }}", "memory budget exceeded"},
		{"{{ parseDate('x', 'DateOnly') }}", "does not match layout"},
		{"{{ formatDate(now(), 'DateOnly', 'Mars/Base') }}", "unknown timezone"},
		{"{{ 1 + nil }}", "one side is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			if raceEnabled && heavyUnderRace[tt.src] {
				t.Skip("five million loop iterations under -race; .ci/run runs it without -race (see heavyUnderRace)")
			}
			tm, err := Compile(tt.src)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			_, err = tm.Eval(context.Background(), scope)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want error containing %q", err, tt.msg)
			}
		})
	}
}

func TestEvalCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tm, err := Compile("{{ 1 }}")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tm.Eval(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	v, err := CompileValue(map[string]any{
		"url":    "https://x/{{ trigger.body.name }}",
		"n":      "{{ trigger.body.spend }}",
		"static": 3,
		"list":   []any{"a", "{{ index }}", map[string]any{"b": true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Eval(context.Background(), testScope())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"url": "https://x/Ada", "n": 12000, "static": 3, "list": []any{"a", 2, map[string]any{"b": true}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	var paths []string
	v.Templates(func(path []any, _ *Template) { paths = append(paths, PathString(path)) })
	if strings.Join(paths, ",") != "list[1],n,url" {
		t.Errorf("Templates paths = %v", paths)
	}
}

func TestValueErrors(t *testing.T) {
	t.Parallel()
	_, err := CompileValue(map[string]any{"a": []any{"ok", map[string]any{"b": "{{ bad name }}"}}})
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValueError, got %v", err)
	}
	if !reflect.DeepEqual(ve.Path, []any{"a", 1, "b"}) || ve.Err.Offset < 0 {
		t.Errorf("path %v offset %d", ve.Path, ve.Err.Offset)
	}
	if !strings.HasPrefix(ve.Error(), "a[1].b: ") {
		t.Errorf("Error() = %q", ve.Error())
	}

	v, err := CompileValue(map[string]any{"x": "{{ upper(trigger.missing) }}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Eval(context.Background(), nil); !errors.As(err, &ve) || ve.Path[0] != "x" {
		t.Errorf("eval error %v", err)
	}
}

func TestReferences(t *testing.T) {
	t.Parallel()
	src := `{{ steps.a.output.x }} {{ steps["b-c"].output + steps.a.output }} {{ map(steps.d.output, #) }}`
	tm, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	refs := tm.References()
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.Step)
		if !strings.HasPrefix(src[r.Offset:], "steps") {
			t.Errorf("reference %s at offset %d points at %q", r.Step, r.Offset, src[r.Offset:])
		}
	}
	if strings.Join(ids, ",") != "a,b-c,d" {
		t.Errorf("refs = %v", ids)
	}
}

func TestLiteralTemplateIsNotCopiedShared(t *testing.T) {
	t.Parallel()
	v, err := CompileValue(map[string]any{"m": map[string]any{"k": []any{1}}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := v.Eval(context.Background(), nil)
	a.(map[string]any)["m"].(map[string]any)["k"].([]any)[0] = 99
	b, _ := v.Eval(context.Background(), nil)
	if b.(map[string]any)["m"].(map[string]any)["k"].([]any)[0] != 1 {
		t.Error("Eval results share memory with the compiled value")
	}
}

func BenchmarkTemplateEval(b *testing.B) {
	scope := testScope()
	for _, src := range []string{
		"{{ trigger.body.name }}",
		"https://crm.example.com/customers/{{ steps.customer.output.id }}?n={{ upper(trigger.body.name) }}",
		"{{ sum(filter(trigger.body.items, .s == 'open'), 'n') }}",
	} {
		tm, err := Compile(src)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(src, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tm.Eval(ctx, scope); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPathEval is a step's with of plain paths (the VM is skipped) next
// to expressions the VM runs.
func BenchmarkPathEval(b *testing.B) {
	v, err := CompileValue(map[string]any{
		"customer": "{{ trigger.body.customer }}",
		"all":      "{{ steps.compute.output }}",
		"upper":    "{{ upper(trigger.body.text) }}",
		"doubled":  "{{ trigger.body.amount * 2 }}",
	})
	if err != nil {
		b.Fatal(err)
	}
	s := Scope{
		"trigger": map[string]any{"body": map[string]any{"customer": "c1", "text": "hello world", "amount": 42.0}},
		"steps":   map[string]any{"compute": map[string]any{"output": map[string]any{"a": "b"}}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Eval(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}
