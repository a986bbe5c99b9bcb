package http_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

func TestMethodsAndBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		with            map[string]any
		wantMethod      string
		wantBody        string
		wantContentType string
	}{
		{name: "default GET", with: map[string]any{}, wantMethod: "GET"},
		{name: "PUT", with: map[string]any{"method": "PUT", "body": "x"}, wantMethod: "PUT", wantBody: "x"},
		{name: "OPTIONS", with: map[string]any{"method": "OPTIONS"}, wantMethod: "OPTIONS"},
		{name: "HEAD", with: map[string]any{"method": "HEAD"}, wantMethod: "HEAD"},
		{
			name:       "json",
			with:       map[string]any{"method": "POST", "json": map[string]any{"amount": 1200, "tags": []any{"a"}}},
			wantMethod: "POST", wantBody: `{"amount":1200,"tags":["a"]}`, wantContentType: "application/json",
		},
		{
			name:       "json with own content type",
			with:       map[string]any{"method": "PATCH", "json": []any{1}, "headers": map[string]any{"content-type": "application/merge-patch+json"}},
			wantMethod: "PATCH", wantBody: `[1]`, wantContentType: "application/merge-patch+json",
		},
		{
			name:       "json string",
			with:       map[string]any{"method": "POST", "json": "hi"},
			wantMethod: "POST", wantBody: `"hi"`, wantContentType: "application/json",
		},
		{
			name:       "form",
			with:       map[string]any{"method": "POST", "form": map[string]any{"grant_type": "client_credentials", "scope": []any{"a", "b"}, "n": 1.5}},
			wantMethod: "POST", wantBody: "grant_type=client_credentials&n=1.5&scope=a&scope=b", wantContentType: "application/x-www-form-urlencoded",
		},
		{
			name:       "raw body",
			with:       map[string]any{"method": "POST", "body": "<ping/>", "headers": map[string]any{"Content-Type": "application/xml"}},
			wantMethod: "POST", wantBody: "<ping/>", wantContentType: "application/xml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			if _, err := b.run(t, tt.with); err != nil {
				t.Fatal(err)
			}
			got := b.last(t)
			if got.Method != tt.wantMethod || got.Body != tt.wantBody || got.Header.Get("Content-Type") != tt.wantContentType {
				t.Fatalf("server saw %s %q (Content-Type %q), want %s %q (%q)", got.Method, got.Body, got.Header.Get("Content-Type"), tt.wantMethod, tt.wantBody, tt.wantContentType)
			}
		})
	}
}

func TestQueryAndHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, err := b.run(t, map[string]any{
		"url":     b.srv.URL + "/v1/orders?sort=asc",
		"query":   map[string]any{"limit": 50, "status": []any{"open", "paid"}, "big": 1e6, "skip": nil},
		"headers": map[string]any{"X-Tenant": "acme", "Accept": "application/json", "X-Retry": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := b.last(t)
	wantQuery := map[string][]string{"sort": {"asc"}, "limit": {"50"}, "status": {"open", "paid"}, "big": {"1000000"}}
	if got.Path != "/v1/orders" || !reflect.DeepEqual(got.Query, wantQuery) {
		t.Errorf("server saw %s %v, want /v1/orders %v", got.Path, got.Query, wantQuery)
	}
	for name, want := range map[string]string{"X-Tenant": "acme", "Accept": "application/json", "X-Retry": "true", "User-Agent": "weft"} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
}

func TestIdempotencyHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		with     map[string]any
		header   string // header to look at
		wantSent bool
		wantVal  string // "" means the step run's key
	}{
		{name: "POST", with: map[string]any{"method": "POST"}, header: "Idempotency-Key", wantSent: true},
		{name: "DELETE", with: map[string]any{"method": "DELETE"}, header: "Idempotency-Key", wantSent: true},
		{name: "GET", with: map[string]any{}, header: "Idempotency-Key"},
		{name: "HEAD", with: map[string]any{"method": "HEAD"}, header: "Idempotency-Key"},
		{name: "own header name", with: map[string]any{"method": "POST", "idempotency_header": "X-Request-Id"}, header: "X-Request-Id", wantSent: true},
		{name: "disabled", with: map[string]any{"method": "POST", "idempotency_header": ""}, header: "Idempotency-Key"},
		{name: "user header wins", with: map[string]any{"method": "POST", "headers": map[string]any{"idempotency-key": "mine"}}, header: "Idempotency-Key", wantSent: true, wantVal: "mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			// Two attempts of one step run must carry the same key.
			for attempt := 1; attempt <= 2; attempt++ {
				req := steptest.NewRequestIn(b.env, copyWith(tt.with, b.srv.URL))
				req.Attempt = attempt
				if _, err := steptest.Run(t, b.reg, "http.request", req); err != nil {
					t.Fatal(err)
				}
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			want := tt.wantVal
			if want == "" && tt.wantSent {
				want = steptest.NewRequest(nil).IdempotencyKey
			}
			for i, r := range b.reqs {
				vals := r.Header.Values(tt.header)
				if !tt.wantSent {
					if len(vals) != 0 {
						t.Errorf("attempt %d sent %s: %q, want none", i+1, tt.header, vals)
					}
					continue
				}
				if len(vals) != 1 || vals[0] != want {
					t.Errorf("attempt %d sent %s: %q, want [%q]", i+1, tt.header, vals, want)
				}
			}
		})
	}
}

func copyWith(with map[string]any, url string) map[string]any {
	out := map[string]any{"url": url}
	for k, v := range with {
		out[k] = v
	}
	return out
}

func TestInvalidInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		with    map[string]any
		wantErr string
		secret  string // must not appear in the error
	}{
		{name: "no url", with: map[string]any{"url": nil}, wantErr: `"url": is required`},
		{name: "relative url", with: map[string]any{"url": "/orders"}, wantErr: "absolute http"},
		{name: "ftp url", with: map[string]any{"url": "ftp://example.com/x"}, wantErr: "absolute http"},
		{name: "unknown method", with: map[string]any{"method": "BREW"}, wantErr: "must be one of GET"},
		{name: "two bodies", with: map[string]any{"method": "POST", "json": map[string]any{}, "body": "x"}, wantErr: "at most one of json, form and body"},
		{name: "zero timeout", with: map[string]any{"timeout": "0s"}, wantErr: "more than 0s"},
		{name: "bad timeout", with: map[string]any{"timeout": "soon"}, wantErr: "invalid duration"},
		{name: "bad accept entry", with: map[string]any{"accept_status": []any{"2xx", "ok"}}, wantErr: "accept_status"},
		{name: "accept out of range", with: map[string]any{"accept_status": []any{700}}, wantErr: "accept_status"},
		{name: "nested query", with: map[string]any{"query": map[string]any{"a": map[string]any{"b": 1}}}, wantErr: `key "a"`},
		{name: "form not an object", with: map[string]any{"method": "POST", "form": "a=b"}, wantErr: `"form": must be an object`},
		{name: "bad header name", with: map[string]any{"headers": map[string]any{"X Bad": "1"}}, wantErr: "not a valid header name"},
		{name: "header injection", with: map[string]any{"headers": map[string]any{"Authorization": "Bearer tok_SECRET\r\nX-Evil: 1"}}, wantErr: "line break", secret: "tok_SECRET"},
		{name: "huge response limit", with: map[string]any{"max_response_bytes": 1 << 30}, wantErr: "max_response_bytes"},
		{name: "follow_redirects not a bool", with: map[string]any{"follow_redirects": "sometimes"}, wantErr: "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			_, err := b.run(t, tt.with)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if codeOf(err) != "validation" {
				t.Errorf("code = %q, want validation", codeOf(err))
			}
			if ok, _ := step.IsRetryable(err); ok {
				t.Error("a validation error is retryable")
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error leaks %q: %v", tt.secret, err)
			}
			if n := b.count(); n != 0 {
				t.Errorf("server got %d requests for invalid input", n)
			}
		})
	}
}
