package http_test

import (
	"context"
	"errors"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	weftHTTP "github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

func TestStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		accept    []any // nil: default
		wantOK    bool
		retryable bool
	}{
		{status: 200, wantOK: true},
		{status: 204, wantOK: true},
		{status: 400},
		{status: 401},
		{status: 404},
		{status: 409},
		{status: 422},
		{status: 501},
		{status: 408, retryable: true},
		{status: 429, retryable: true},
		{status: 500, retryable: true},
		{status: 502, retryable: true},
		{status: 503, retryable: true},
		{status: 504, retryable: true},
		{status: 404, accept: []any{"2xx", 404}, wantOK: true},
		{status: 404, accept: []any{"4xx"}, wantOK: true},
		{status: 503, accept: []any{"5xx"}, wantOK: true},
		{status: 201, accept: []any{200}},
		{status: 409, accept: []any{"2xx", "409"}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+"/"+strconv.Itoa(len(tt.accept)), func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"error":"card_declined"}`))
			})
			with := map[string]any{}
			if tt.accept != nil {
				with["accept_status"] = tt.accept
			}
			res, err := b.run(t, with)
			if tt.wantOK {
				if out := outputOf(t, res, err); out["status"] != float64(tt.status) {
					t.Fatalf("status = %v, want %d", out["status"], tt.status)
				}
				return
			}
			if err == nil {
				t.Fatalf("status %d succeeded", tt.status)
			}
			if retry, _ := step.IsRetryable(err); retry != tt.retryable {
				t.Errorf("retryable = %v, want %v (%v)", retry, tt.retryable, err)
			}
			if got := step.ErrorInfo(err).Code; got != "http_status" {
				t.Errorf("code = %q, want http_status", got)
			}
			var se *weftHTTP.StatusError
			if !errors.As(err, &se) || se.Status != tt.status {
				t.Fatalf("err = %#v, want a StatusError with %d", err, tt.status)
			}
			msg := err.Error()
			if !strings.Contains(msg, strconv.Itoa(tt.status)) || !strings.Contains(msg, `{"error":"card_declined"}`) {
				t.Errorf("message %q lacks the status or the body snippet", msg)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter func() string
		want       time.Duration
	}{
		{"seconds", 429, func() string { return "7" }, 7 * time.Second},
		{"http date", 503, func() string { return steptest.Epoch().Add(90 * time.Second).Format(nethttp.TimeFormat) }, 90 * time.Second},
		{"date in the past", 503, func() string { return steptest.Epoch().Add(-time.Hour).Format(nethttp.TimeFormat) }, 0},
		{"garbage", 429, func() string { return "soon" }, 0},
		{"absent", 500, func() string { return "" }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
				if v := tt.retryAfter(); v != "" {
					w.Header().Set("Retry-After", v)
				}
				w.WriteHeader(tt.status)
			})
			_, err := b.run(t, map[string]any{})
			var re *step.RetryableError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a RetryableError", err)
			}
			if re.After != tt.want {
				t.Fatalf("After = %v, want %v", re.After, tt.want)
			}
		})
	}
}

func TestErrorSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		want        string
		wantNot     string
	}{
		{"long text is cut", "text/plain", strings.Repeat("x", 2000), strings.Repeat("x", 512) + "…", strings.Repeat("x", 513)},
		{"cut on a rune boundary", "text/plain", "a" + strings.Repeat("é", 600), "a" + strings.Repeat("é", 255) + "…", strings.Repeat("é", 256)},
		{"binary is described", "image/png", "\x89PNG\x00\x01", "(6 bytes of image/png)", "PNG"},
		{"whitespace collapsed", "application/json", "{\n  \"error\": \"bad\"\n}", `{ "error": "bad" }`, "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(nethttp.StatusBadRequest)
				_, _ = w.Write([]byte(tt.body))
			})
			_, err := b.run(t, map[string]any{})
			var se *weftHTTP.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a StatusError", err)
			}
			if !strings.HasSuffix(se.Snippet, tt.want) || strings.Contains(se.Snippet, tt.wantNot) {
				t.Fatalf("snippet = %q, want it to end in %q without %q", se.Snippet, tt.want, tt.wantNot)
			}
		})
	}
}

func TestNoCredentialsInErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.WriteHeader(nethttp.StatusForbidden)
		_, _ = w.Write([]byte("forbidden"))
	})
	u := strings.Replace(b.srv.URL, "http://", "http://user:pw_SECRET1@", 1) + "/v1/x?api_key=SECRET2"
	_, err := b.run(t, map[string]any{
		"url":     u,
		"headers": map[string]any{"Authorization": "Bearer SECRET3", "X-Api-Key": "SECRET4"},
	})
	if err == nil {
		t.Fatal("403 succeeded")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error leaks a credential: %v", err)
	}
	if !strings.Contains(err.Error(), "/v1/x?…") {
		t.Errorf("error %q does not say which URL failed", err)
	}
	if got := b.last(t).Header.Get("Authorization"); got != "Bearer SECRET3" {
		t.Errorf("server got Authorization %q", got)
	}
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	url := b.srv.URL + "/x?token=SECRET"
	b.srv.Close()
	_, err := b.run(t, map[string]any{"url": url, "method": "POST", "json": map[string]any{}})
	if retry, _ := step.IsRetryable(err); !retry {
		t.Fatalf("err = %v, want retryable", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error leaks the query: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := setup(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	_, err := b.run(t, map[string]any{"timeout": "50ms"})
	if retry, _ := step.IsRetryable(err); !retry {
		t.Fatalf("err = %v, want retryable", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || step.ErrorInfo(err).Code != "timeout" {
		t.Fatalf("err = %v (code %s), want a timeout", err, step.ErrorInfo(err).Code)
	}
	if !strings.Contains(err.Error(), "50ms") {
		t.Errorf("error %q does not name the timeout", err)
	}
}

func TestCallerCanceled(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	b := setup(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		close(started)
		<-r.Context().Done()
	})
	r, _ := b.reg.Lookup("http.request")
	ctx, cancel := context.WithCancel(background())
	go func() { <-started; cancel() }()
	_, err := r.Handler.Run(ctx, steptest.NewRequestIn(b.env, map[string]any{"url": b.srv.URL}))
	if retry, _ := step.IsRetryable(err); retry || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v (retryable %v), want a final context.Canceled", err, retry)
	}
}

func TestFallbackClient(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	b.env.HTTP = nil
	res, err := b.run(t, map[string]any{})
	out := outputOf(t, res, err)
	if out["body"] != "ok" {
		t.Fatalf("body = %v, want ok", out["body"])
	}
}
