package jsonvalue

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// same checks that Marshal and json.Marshal agree on v, bytes and error.
func same(t *testing.T, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, gerr := Marshal(v)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("error: got %v, encoding/json says %v", gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %s, encoding/json says %s", got, want)
	}
}

func TestMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	var nilMap map[string]any
	var nilSlice []any
	cases := []any{
		nil, true, false, "", "plain", 0.0, -0.0, 1.0, 42.0, -3.5, 1e20, 1e21, 123456789e15, 1e-6, 1e-7, 5e-324, math.MaxFloat64,
		0, -7, int64(math.MaxInt64), json.Number(""), json.Number("12.5"), json.Number("1e3"),
		"quote \" backslash \\ slash / <tag> & amp", "\b\f\n\r\t\x00\x01\x1f\x7f",
		"\u2028 and \u2029", "héllo wörld ✓ 😀", "bad \xff utf8 \xe2\x82", string([]byte{0xed, 0xa0, 0x80}),
		nilMap, nilSlice, map[string]any{}, []any{},
		map[string]any{"b": 1.0, "a": []any{"x", nil, true, map[string]any{"<k>": "v"}}, "": "empty key", "é": 2.0, "A": 3.0},
		map[string]any{"when": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "typed": map[string]string{"z": "1", "a": "2"}},
		map[string]any{"raw": json.RawMessage(`{ "b" : "<x>" }`), "n": json.Number("007")},
		map[string]string(nil), map[string]string{},
		map[string]any{"status": 200, "headers": map[string]string{"X-B": "<1>", "Content-Type": "text/plain", "": "\u2028\xff"}, "body": nil},
		[]any{math.NaN()}, map[string]any{"inf": math.Inf(1)},
		struct{ A int }{1},
	}
	for _, c := range cases {
		same(t, c)
	}
}

func TestDecodedValuesRoundTrip(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{"customer":"c1","text":"hello world","amount":42}`,
		`{"a":[1,2.5,-0,1e300,1e-300,"s",null,true,{"x":{"y":[[]]}}],"b":{}}`,
		`["\u003c\u2028\ud83d\ude00", 0.000001, 0.0000001, 100000000000000000000, 1000000000000000000000]`,
	}
	for _, d := range docs {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(strings.NewReader(d))
			if useNumber {
				dec.UseNumber()
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			same(t, v)
		}
	}
}

// A value nested deeper than encoding/json's cycle check, and a cycle:
// encoded (or refused) as encoding/json does, without exhausting the stack.
func TestHostileDepthAndCycle(t *testing.T) {
	t.Parallel()
	var deep any = "leaf"
	for range 5000 {
		deep = []any{deep}
	}
	same(t, deep)

	cyc := map[string]any{}
	cyc["self"] = cyc
	if _, err := Marshal(cyc); err == nil {
		t.Fatal("a cyclic map encoded without error")
	}
}

func FuzzMatchesEncodingJSON(f *testing.F) {
	f.Add(`{"customer":"c1","text":"hello world","amount":42}`)
	f.Add(`["<>&\u2028", 1e-7, {"": null}]`)
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			v = doc // not JSON: encode the text itself as a string
		}
		same(t, v)
	})
}

func BenchmarkMarshal(b *testing.B) {
	var v any
	_ = json.Unmarshal([]byte(`{"customer":"c1","text_upper":"HELLO WORLD","amount_doubled":84,"nested":{"a":[1,2,3],"b":"x"}}`), &v)
	b.Run("jsonvalue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = Marshal(v)
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(v)
		}
	})
}

// Objects of every size around the stack array's (8 members) sort their
// keys as encoding/json does: prefixes, case, non-ASCII, the empty key.
func TestObjectKeyOrderBySize(t *testing.T) {
	t.Parallel()
	pool := []string{"b", "a", "", "ab", "A", "é", "aa", "Z", "a\u2028", "ba", "b0", "zz", "status", "body", "headers", "x-1", "x-10", "x-2", "€", "~"}
	for n := 0; n <= len(pool); n++ {
		m := map[string]any{}
		ms := map[string]string{}
		for i, k := range pool[:n] {
			m[k] = float64(i)
			ms[k] = k
		}
		same(t, m)
		same(t, ms)
		same(t, map[string]any{"outer": m, "typed": ms})
	}
}
