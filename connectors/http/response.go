package http

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	nethttp "net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft/step"
)

// snippetLimit bounds how much of an error response goes into a message.
const snippetLimit = 512

var errTooLarge = errors.New("response body too large")

// StatusError is the error behind a response whose status was not accepted.
// It is wrapped in a step.CodedError with code "http_status" (and in a
// step.RetryableError for 408, 429, 500, 502, 503 and 504).
type StatusError struct {
	Method string
	URL    string // without user info and query
	Status int
	// Snippet is the start of the response body (at most 512 bytes), or a
	// note on its size and type when it is not text.
	Snippet string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("http.request: %s %s answered %d %s", e.Method, e.URL, e.Status, nethttp.StatusText(e.Status))
	if e.Snippet != "" {
		msg += ": " + e.Snippet
	}
	return msg
}

// readLimited reads at most limit bytes, and errTooLarge if there is more.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// retryableStatus lists the answers that say "try again later".
func retryableStatus(status int) bool {
	switch status {
	case nethttp.StatusRequestTimeout, nethttp.StatusTooEarly, nethttp.StatusTooManyRequests, nethttp.StatusInternalServerError,
		nethttp.StatusBadGateway, nethttp.StatusServiceUnavailable, nethttp.StatusGatewayTimeout:
		return true
	}
	return false
}

func statusError(c *call, resp *nethttp.Response, body []byte, now time.Time) error {
	se := &StatusError{Method: c.method, URL: safeURL(c.url), Status: resp.StatusCode, Snippet: snippet(resp.Header.Get("Content-Type"), body)}
	err := &step.CodedError{Code: "http_status", Err: se}
	if retryableStatus(resp.StatusCode) {
		wait := parseRetryAfter(resp.Header.Get("Retry-After"), now)
		if wait == 0 {
			wait = rateLimitWait(resp.Header, now)
		}
		return step.Retryable(err, wait)
	}
	return err
}

func snippet(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	if encoding(contentType, body) == "base64" {
		return fmt.Sprintf("(%d bytes of %s)", len(body), orUnknown(contentType))
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) <= snippetLimit {
		return s
	}
	cut := snippetLimit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown type"
	}
	return s
}

// output builds the step's output from an accepted response.
func output(resp *nethttp.Response, body []byte) map[string]any {
	out := map[string]any{
		"status":  resp.StatusCode,
		"headers": headers(resp.Header),
	}
	enc := encoding(resp.Header.Get("Content-Type"), body)
	switch enc {
	case "none":
		out["body"] = nil
	case "json":
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			// Servers mislabel content; keep the text rather than fail.
			enc = "text"
			out["body"] = string(body)
		} else {
			out["body"] = v
		}
	case "text":
		out["body"] = string(body)
	default:
		out["body"] = base64.StdEncoding.EncodeToString(body)
	}
	out["body_encoding"] = enc
	return out
}

// encoding decides how a body is returned: "none", "json", "text" or
// "base64". Declared binary types are base64 even when they happen to be
// valid UTF-8; undeclared or textual types are text when they are UTF-8.
func encoding(contentType string, body []byte) string {
	if len(body) == 0 {
		return "none"
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = ""
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return "json"
	case binaryType(mt) || !utf8.Valid(body):
		return "base64"
	}
	return "text"
}

func binaryType(mt string) bool {
	for _, p := range []string{"image/", "audio/", "video/", "font/"} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	switch mt {
	case "application/octet-stream", "application/pdf", "application/zip", "application/gzip",
		"application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf", "application/wasm":
		return true
	}
	return false
}

// headers flattens response headers to lower-case name → value, hiding
// values that may be credentials.
func headers(h nethttp.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, vs := range h {
		lname := strings.ToLower(name)
		if sensitiveHeader(lname) {
			out[lname] = "[redacted]"
			continue
		}
		out[lname] = strings.Join(vs, ", ")
	}
	return out
}

// sensitiveHeader reports whether a lower-case header name looks like it
// carries a credential.
func sensitiveHeader(lname string) bool {
	switch lname {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2":
		return true
	}
	for _, part := range []string{"api-key", "apikey", "api_key", "token", "secret", "password", "session", "signature", "credential"} {
		if strings.Contains(lname, part) {
			return true
		}
	}
	return strings.HasSuffix(lname, "-auth") || strings.HasPrefix(lname, "x-auth")
}
