package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/weftworks/weft/internal/jsonvalue"
)

// writeResponseJSON is writeResponse as it was before it read the respond
// output without encoding/json: the reference its answers must equal.
func writeResponseJSON(h *Handler, w http.ResponseWriter, id string, raw json.RawMessage) {
	var out respondOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		h.fail(w, http.StatusInternalServerError, "bad_response", "the respond step produced an unreadable response")
		return
	}
	if out.Status == 0 {
		out.Status = http.StatusOK
	}
	hdr := w.Header()
	for k, v := range out.Headers {
		hdr.Set(k, v)
	}
	hdr.Set("X-Weft-Execution-Id", id)
	body := []byte(out.Body)
	var s string
	if len(body) > 0 && body[0] == '"' && json.Unmarshal(body, &s) == nil {
		body = []byte(s)
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "text/plain; charset=utf-8")
		}
	} else if string(body) == "null" || len(body) == 0 {
		body = nil
	} else if hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", "application/json")
	}
	w.WriteHeader(out.Status)
	_, _ = w.Write(body)
}

// respondOutputs are respond step outputs: what the engine writes for
// bodies of every JSON kind and for headers, and forms it never writes
// (escapes, spacing, other keys, odd statuses, broken JSON) that must be
// read exactly as encoding/json reads them.
var respondOutputs = []string{
	`{"body":null,"headers":{},"status":200}`,
	`{"body":true,"headers":{},"status":200}`,
	`{"body":false,"headers":{},"status":201}`,
	`{"body":0,"headers":{},"status":200}`,
	`{"body":-12.5e3,"headers":{},"status":200}`,
	`{"body":"","headers":{},"status":200}`,
	`{"body":"hello","headers":{},"status":200}`,
	`{"body":"line\nbreak \"quoted\" \u00e9 \ud83d\ude00 \\","headers":{},"status":200}`,
	`{"body":"caf` + "\u00e9 \u2028" + `","headers":{},"status":200}`,
	"{\"body\":\"bad \xff byte\",\"headers\":{},\"status\":200}",
	`{"body":"\u003cb\u003e","headers":{},"status":200}`,
	`{"body":[],"headers":{},"status":200}`,
	`{"body":[1,"two",{"three":[3]},null],"headers":{},"status":200}`,
	`{"body":{},"headers":{},"status":200}`,
	`{"body":{"amount_doubled":84,"customer":"c1","text_upper":"HELLO WORLD"},"headers":{},"status":200}`,
	`{"body":{"a":"}","b":"]","c":"\"{"},"headers":{},"status":200}`,
	`{"body":{"ok":true},"headers":{"Content-Type":"application/vnd.api+json","X-Request-Id":"r-1"},"status":201}`,
	`{"body":"plain","headers":{"Content-Type":"text/csv"},"status":200}`,
	`{"body":"<p>hi</p>","headers":{"Content-Type":"text/html; charset=utf-8","Location":"/orders/7"},"status":303}`,
	`{"body":null,"headers":{"Location":"/x"},"status":302}`,
	`{"body":null,"headers":{"Retry-After":"3"},"status":503}`,
	`{"body":null,"headers":{"X-Escaped":"a\tb\u00e9"},"status":200}`,
	`{"body":null,"headers":{"x-lower":"v"},"status":204}`,
	`{"body":null,"headers":{"X-Empty":""},"status":200}`,
	"{\"body\":null,\"headers\":{\"X-Bad\":\"\xfe\"},\"status\":200}",
	`{"body":1,"status":200}`,
	`{"status":200}`,
	`{"body":{"x":1}}`,
	`{}`,
	`{"status":0,"body":"zero"}`,
	`{"status":404,"headers":{"A":"1"},"body":[true]}`,
	` { "body" : { "x" : [ 1 , 2 ] } , "headers" : { "A" : "1" } , "status" : 200 } `,
	"{\n\t\"body\": \"tabs\",\n\t\"status\": 202\n}\n",
	`{"body":1,"headers":null,"status":200}`,
	`{"body":1,"headers":{},"status":null}`,
	`{"body":1,"headers":{},"status":2e2}`,
	`{"body":1,"headers":{},"status":200.0}`,
	`{"body":1,"headers":{},"status":-0}`,
	`{"body":1,"headers":{},"status":"200"}`,
	`{"body":1,"headers":{},"status":99999999999999999999}`,
	`{"body":1,"headers":{"A":1},"status":200}`,
	`{"body":1,"headers":[],"status":200}`,
	`{"body":1,"headers":{},"status":200,"extra":[1]}`,
	`{"Body":"upper","Status":201}`,
	`{"b\u006fdy":"escaped key","status":200}`,
	`{"body":"first","body":"second","status":200}`,
	`{"status":201,"status":202}`,
	`{"headers":{"A":"1"},"headers":{"B":"2"},"status":200}`,
	`{"body":1,"headers":{},"status":200`,
	`{"body":1,"headers":{},"status":200}x`,
	`[1,2]`,
	`"just a string"`,
	`null`,
	``,
}

// TestWriteResponseMatchesEncodingJSON: the respond step's answer (status,
// headers, body) is byte for byte what decoding its output with
// encoding/json gave, for bodies of every JSON kind, headers set by the
// step, and outputs the engine never writes.
func TestWriteResponseMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, raw := range respondOutputs {
		checkWriteResponse(t, raw)
	}
}

// TestWriteResponseOfEngineOutput runs respond outputs encoded as the engine
// encodes them (internal/jsonvalue) through both decoders.
func TestWriteResponseOfEngineOutput(t *testing.T) {
	t.Parallel()
	bodies := []any{nil, true, 3.5, "text", "with \"quotes\" and <html> & \u2028", "bad \xff",
		[]any{1.0, "x", nil}, map[string]any{"nested": map[string]any{"list": []any{"a", "}"}}}}
	for _, body := range bodies {
		for _, headers := range []map[string]string{{}, {"Content-Type": "text/plain", "X-A": "é \"q\""}} {
			raw, err := jsonvalue.Marshal(map[string]any{"status": 201, "headers": headers, "body": body})
			if err != nil {
				t.Fatal(err)
			}
			checkWriteResponse(t, string(raw))
		}
	}
}

func FuzzWriteResponse(f *testing.F) {
	for _, raw := range respondOutputs {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var out respondOutput
		if json.Unmarshal([]byte(raw), &out) == nil && (out.Status < 100 || out.Status > 999) && out.Status != 0 {
			return // WriteHeader panics on it either way
		}
		if len(out.Headers) > 1 {
			// Two names that canonicalise alike are set in map order
			// (random) by the reference; compare only unambiguous sets.
			seen := map[string]bool{}
			for k := range out.Headers {
				ck := http.CanonicalHeaderKey(k)
				if seen[ck] {
					return
				}
				seen[ck] = true
			}
		}
		checkWriteResponse(t, raw)
	})
}

func checkWriteResponse(t *testing.T, raw string) {
	t.Helper()
	h := &Handler{}
	want := httptest.NewRecorder()
	writeResponseJSON(h, want, "01EXEC", json.RawMessage(raw))
	got := httptest.NewRecorder()
	h.writeResponse(got, "01EXEC", json.RawMessage(raw))
	if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Errorf("respond output %q:\ngot  %d %v %q\nwant %d %v %q", raw,
			got.Code, got.Header(), got.Body.Bytes(), want.Code, want.Header(), want.Body.Bytes())
	}
}

// TestScanResponseTakesEngineOutput: the engine's own encoding is read
// without encoding/json (else the fast path silently never runs).
func TestScanResponseTakesEngineOutput(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{"body":{"amount_doubled":84,"customer":"c1","text_upper":"HELLO WORLD"},"headers":{},"status":200}`,
		`{"body":"text","headers":{"Content-Type":"text/plain"},"status":201}`,
		`{"body":[1,{"a":"]"}],"headers":{"A":"1","B":"2","C":"3","D":"4","E":"5"},"status":200}`,
	} {
		_, _, body, ok := scanResponse([]byte(raw), nil)
		if !ok {
			t.Errorf("scanResponse refused %s", raw)
			continue
		}
		if want := raw[len(`{"body":`):strings.Index(raw, `,"headers"`)]; string(body) != want {
			t.Errorf("body of %s: got %s, want %s", raw, body, want)
		}
	}
}

// TestReplyIDMatchesReply: the accepted and duplicate answers are what
// reply writes for the same maps.
func TestReplyIDMatchesReply(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	for _, id := range []string{"01JABCDEF0123456789ABCDEFG", "", `odd<&>"\id` + "\u2028\xff"} {
		for _, dup := range []bool{false, true} {
			want := httptest.NewRecorder()
			v := map[string]any{"execution_id": id}
			if dup {
				v["duplicate"] = true
			}
			h.reply(want, http.StatusAccepted, v)
			got := httptest.NewRecorder()
			h.replyID(got, http.StatusAccepted, id, dup)
			if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
				t.Errorf("id %q duplicate %v: got %d %v %q, want %d %v %q", id, dup,
					got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
			}
		}
	}
}
