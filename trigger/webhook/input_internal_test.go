package webhook

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verify"
)

// sameAsEncodingJSON checks input.marshal against json.Marshal.
func sameAsEncodingJSON(t *testing.T, in *input) {
	t.Helper()
	want, werr := json.Marshal(in)
	got, gerr := in.marshal()
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("error %v, encoding/json says %v", gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got\n%s\nencoding/json says\n%s", got, want)
	}
}

// The trigger input is stored as encoding/json wrote it before it was
// encoded by hand: same keys, order, escaping and compacted body.
func TestInputMarshalMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 11, 29, 6, 0, 0, 123, time.FixedZone("x", 3600))
	empty := ""
	text := "a=1&b=<2>\u2028"
	cases := []input{
		{},
		{Method: "POST", Path: "bench", Headers: map[string]string{"content-type": "application/json", "x-a": "<&>"},
			Query: map[string]any{}, Body: json.RawMessage(`{"customer":"c1","text":"hello world","amount":42}`), ContentType: "application/json"},
		{Method: "POST", Path: "p/q", Headers: map[string]string{}, Query: map[string]any{"a": "1", "b": []any{"x", "y"}},
			Body: json.RawMessage(" {\n \"html\" : \"<b>&amp;</b>\", \"ls\": \"\u2028\u2029\", \"n\": [1, 2.50, -0] }\n"), ContentType: "application/vnd.x+json"},
		{Method: "PUT", Path: "f", Headers: map[string]string{"authorization": "[redacted]"}, Query: map[string]any{},
			Body: json.RawMessage(`{"a":"1","b":"<2>"}`), RawBody: &text, ContentType: "application/x-www-form-urlencoded"},
		{Method: "POST", Path: "e", Body: json.RawMessage("null"), RawBody: &empty},
		{Method: "POST", Path: "bin", Headers: map[string]string{"x": "\xff"}, Body: json.RawMessage("null"), RawBodyBase64: "/w==",
			Verification: &verify.Result{Scheme: "standard-webhooks", KeyID: "k1", Timestamp: &ts}},
		{Method: "POST", Path: "v", Body: json.RawMessage(`"s"`), Verification: &verify.Result{Scheme: "basic", Subject: "<u>"}},
		{Method: "POST", Path: "bad", Body: json.RawMessage(`{"a":`)},
		{Method: "POST", Path: "odd", Query: map[string]any{"t": time.Unix(0, 0).UTC()}, Body: json.RawMessage(`1`)},
	}
	for i := range cases {
		sameAsEncodingJSON(t, &cases[i])
	}
}

// buildInput's whole output, for requests as they arrive.
func TestBuildInputMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ct, query, body string }{
		{"application/json", "", `{"customer":"c1","text":"hello world","amount":42}`},
		{"application/json; charset=utf-8", "a=1&a=2&b=%3C", "{ \"x\" : [ true, null, \"<\u2028>\" ] }"},
		{"application/x-www-form-urlencoded", "", "a=1&b=%3Cx%3E"},
		{"text/plain", "q", "hello <world>"},
		{"application/octet-stream", "", "\xff\x00"},
		{"", "", ""},
	} {
		r := httptest.NewRequest("POST", "/hooks/x?"+tc.query, strings.NewReader(tc.body))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		r.Header.Set("Authorization", "Bearer s")
		r.Header.Add("X-Multi", "1")
		r.Header.Add("X-Multi", "<2>")
		got, _, err := buildInput(r, "x", []byte(tc.body), nil, redactedHeaders)
		if err != nil {
			t.Fatal(err)
		}
		var in input
		if err := json.Unmarshal(got, &in); err != nil {
			t.Fatal(err)
		}
		sameAsEncodingJSON(t, &in)
		if want, _ := json.Marshal(in); !bytes.Equal(got, want) {
			t.Fatalf("%s: got %s, want %s", tc.ct, got, want)
		}
	}
}

func FuzzInputMarshal(f *testing.F) {
	f.Add("POST", "bench", "content-type", "application/json", "a", `{"customer":"c1","amount":42}`, "")
	f.Add("GET", "p", "x-<>", "\u2028", "b", " [1, \"<&>\"] ", "raw")
	f.Fuzz(func(t *testing.T, method, path, hk, hv, qk, body, raw string) {
		in := input{Method: method, Path: path, Headers: map[string]string{hk: hv}, Query: map[string]any{qk: raw},
			Body: json.RawMessage(body), ContentType: hv}
		if raw != "" {
			in.RawBody = &raw
		}
		sameAsEncodingJSON(t, &in)
	})
}

// BenchmarkBuildInput is the trigger input of the bench workflow's request
// with the headers a typical client sends.
func BenchmarkBuildInput(b *testing.B) {
	raw := []byte(`{"customer":"c1","text":"hello world","amount":42}`)
	r := httptest.NewRequest("POST", "/hooks/bench", bytes.NewReader(raw))
	for k, v := range map[string]string{"Content-Type": "application/json", "User-Agent": "wrk", "Accept": "*/*",
		"Content-Length": "50", "Traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"} {
		r.Header.Set(k, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := buildInput(r, "bench", raw, nil, redactedHeaders); err != nil {
			b.Fatal(err)
		}
	}
}
