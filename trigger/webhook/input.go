package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft/internal/jsonvalue"
	"github.com/weftworks/weft/trigger/webhook/verify"
)

// redactedHeaders never reach the stored execution: they carry the caller's
// credentials, not event data. A webhook's verify entries add the headers
// they read credentials from (armed.redact).
var redactedHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
}

// lowerHeaders are the lower-case names of headers most requests carry, so
// that naming them in the input allocates nothing.
var lowerHeaders = func() map[string]string {
	m := map[string]string{}
	for _, h := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Forwarded", "Origin",
		"Referer", "Traceparent", "Tracestate", "User-Agent", "X-Forwarded-For", "X-Forwarded-Host",
		"X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id"} {
		m[h] = strings.ToLower(h)
	}
	return m
}()

// input is the trigger input of a webhook execution.
type input struct {
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	Headers       map[string]string `json:"headers"`
	Query         map[string]any    `json:"query"`
	Body          json.RawMessage   `json:"body"`
	RawBody       *string           `json:"raw_body,omitempty"`
	RawBodyBase64 string            `json:"raw_body_base64,omitempty"`
	ContentType   string            `json:"content_type,omitempty"`
	// Verification says how the request was verified (scheme, key id),
	// when the webhook has a verify block.
	Verification *verify.Result `json:"verification,omitempty"`
}

// bodyError is a request body Weft cannot accept (400).
type bodyError struct{ msg string }

func (e *bodyError) Error() string { return e.msg }

// buildInput returns the input as JSON and the same value decoded, so the
// engine need not decode it again.
func buildInput(r *http.Request, path string, raw []byte, ver *verify.Result, redact map[string]bool) (json.RawMessage, map[string]any, error) {
	headers := make(map[string]string, len(r.Header))
	hv := make(map[string]any, len(r.Header))
	for k, vs := range r.Header {
		lk, ok := lowerHeaders[k]
		if !ok {
			lk = strings.ToLower(k)
		}
		v := strings.Join(vs, ", ")
		if redact[lk] {
			v = "[redacted]"
		}
		headers[lk] = v
		hv[lk] = v
	}
	var query map[string]any
	if r.URL.RawQuery == "" {
		query = map[string]any{}
	} else {
		query = valuesMap(r.URL.Query())
	}
	in := input{Method: r.Method, Path: path, Headers: headers, Query: query}
	// Eight entries (one map group) hold every key below.
	val := make(map[string]any, 8)
	val["method"], val["path"], val["headers"], val["query"] = r.Method, path, hv, query
	if ver != nil {
		if ver.Timestamp != nil {
			c, t := *ver, ver.Timestamp.UTC()
			c.Timestamp = &t
			ver = &c
		}
		in.Verification = ver
		v := map[string]any{"scheme": ver.Scheme}
		if ver.KeyID != "" {
			v["key_id"] = ver.KeyID
		}
		if ver.Subject != "" {
			v["subject"] = ver.Subject
		}
		if ver.Timestamp != nil {
			v["timestamp"] = ver.Timestamp.UTC().Format(time.RFC3339Nano)
		}
		val["verification"] = v
	}

	ct := r.Header.Get("Content-Type")
	if ct != "application/json" { // what ParseMediaType would give it
		ct, _, _ = mime.ParseMediaType(ct)
	}
	in.ContentType = ct
	val["content_type"] = ct
	var body any
	isJSON := false
	switch {
	case len(raw) == 0:
		in.Body = json.RawMessage("null")
	case ct == "application/json" || strings.HasSuffix(ct, "+json"):
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, nil, &bodyError{fmt.Sprintf("request body is not valid JSON (Content-Type %s): %v", ct, err)}
		}
		in.Body = raw
		isJSON = true
	case ct == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, nil, &bodyError{fmt.Sprintf("request body is not valid form data: %v", err)}
		}
		body = valuesMap(form)
	case utf8.Valid(raw):
		body = string(raw)
	default:
		body = nil
	}
	// A JSON body is stored once, as body (its bytes as sent): a raw_body
	// beside it would store every JSON delivery twice. Forms and other
	// bodies keep their text (or base64) for steps that need the bytes.
	switch {
	case isJSON || len(raw) == 0:
	case utf8.Valid(raw):
		s := string(raw)
		in.RawBody = &s
		val["raw_body"] = s
	default:
		in.RawBodyBase64 = base64.StdEncoding.EncodeToString(raw)
		val["raw_body_base64"] = in.RawBodyBase64
	}
	if in.Body == nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, fmt.Errorf("encoding body: %w", err)
		}
		in.Body = b
	}
	val["body"] = body
	out, err := in.marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("encoding trigger input: %w", err)
	}
	return out, val, nil
}

// marshal returns json.Marshal(in) without reflection: encoding/json walks
// the headers and query maps through reflect, which allocates for every
// key and value of every request.
func (in *input) marshal() ([]byte, error) {
	b := make([]byte, 0, 192+len(in.Body)+16*len(in.Headers))
	b = append(b, `{"method":`...)
	b = jsonvalue.AppendString(b, in.Method)
	b = append(b, `,"path":`...)
	b = jsonvalue.AppendString(b, in.Path)
	b = append(b, `,"headers":`...)
	b, _ = jsonvalue.Append(b, in.Headers) // map[string]string: cannot fail
	b = append(b, `,"query":`...)
	var err error
	if b, err = jsonvalue.Append(b, in.Query); err != nil {
		return json.Marshal(in)
	}
	b = append(b, `,"body":`...)
	// What encoding/json does with a json.RawMessage: compact it and
	// escape <, >, &, U+2028 and U+2029 as it does in strings.
	body := in.Body
	if body == nil {
		body = json.RawMessage("null")
	}
	start := len(b)
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, body); err != nil {
		return json.Marshal(in) // its error, worded as encoding/json words it
	}
	b = buf.Bytes()
	if needsHTMLEscape(b[start:]) {
		compact := bytes.Clone(b[start:])
		buf := bytes.NewBuffer(b[:start])
		json.HTMLEscape(buf, compact)
		b = buf.Bytes()
	}
	if in.RawBody != nil {
		b = append(b, `,"raw_body":`...)
		b = jsonvalue.AppendString(b, *in.RawBody)
	}
	if in.RawBodyBase64 != "" {
		b = append(b, `,"raw_body_base64":`...)
		b = jsonvalue.AppendString(b, in.RawBodyBase64)
	}
	if in.ContentType != "" {
		b = append(b, `,"content_type":`...)
		b = jsonvalue.AppendString(b, in.ContentType)
	}
	if in.Verification != nil {
		b = append(b, `,"verification":`...)
		if b, err = jsonvalue.Append(b, in.Verification); err != nil {
			return json.Marshal(in)
		}
	}
	return append(b, '}'), nil
}

// needsHTMLEscape reports whether json.HTMLEscape would change b.
func needsHTMLEscape(b []byte) bool {
	for i, c := range b {
		switch {
		case c == '<' || c == '>' || c == '&':
			return true
		case c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && b[i+2]&^1 == 0xA8:
			return true
		}
	}
	return false
}

// valuesMap turns url.Values into single strings, or lists where a key repeats.
func valuesMap(v url.Values) map[string]any {
	out := make(map[string]any, len(v))
	for k, vs := range v {
		if len(vs) == 1 {
			out[k] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, s := range vs {
			list[i] = s
		}
		out[k] = list
	}
	return out
}
