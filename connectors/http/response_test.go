package http_test

import (
	"encoding/base64"
	nethttp "net/http"
	"reflect"
	"strings"
	"testing"
)

func TestResponseBodies(t *testing.T) {
	t.Parallel()
	png := []byte{0x89, 'P', 'N', 'G', 0, 1, 2}
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantBody    any
		wantEnc     string
	}{
		{"json object", "application/json; charset=utf-8", []byte(`{"id":"o_1","n":2,"ok":true}`), map[string]any{"id": "o_1", "n": float64(2), "ok": true}, "json"},
		{"json array", "application/json", []byte(`[1,"a"]`), []any{float64(1), "a"}, "json"},
		{"problem+json", "application/problem+json", []byte(`{"title":"x"}`), map[string]any{"title": "x"}, "json"},
		{"mislabelled json", "application/json", []byte(`not json`), "not json", "text"},
		{"text", "text/plain; charset=utf-8", []byte("héllo"), "héllo", "text"},
		{"html", "text/html", []byte("<p>hi</p>"), "<p>hi</p>", "text"},
		{"xml", "application/xml", []byte("<a/>"), "<a/>", "text"},
		{"no content type", "", []byte("plain"), "plain", "text"},
		{"png", "image/png", png, base64.StdEncoding.EncodeToString(png), "base64"},
		{"octet-stream that is ASCII", "application/octet-stream", []byte("abc"), base64.StdEncoding.EncodeToString([]byte("abc")), "base64"},
		{"text that is not UTF-8", "text/plain", []byte{0xff, 0xfe, 'a'}, base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 'a'}), "base64"},
		{"empty", "application/json", nil, nil, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
				w.Header()["Content-Type"] = []string{tt.contentType}
				if tt.contentType == "" {
					w.Header()["Content-Type"] = nil // stop the server from sniffing one
				}
				_, _ = w.Write(tt.body)
			})
			res, err := b.run(t, map[string]any{})
			out := outputOf(t, res, err)
			if !reflect.DeepEqual(out["body"], tt.wantBody) || out["body_encoding"] != tt.wantEnc {
				t.Fatalf("body = %#v (%v), want %#v (%s)", out["body"], out["body_encoding"], tt.wantBody, tt.wantEnc)
			}
			if out["status"] != float64(200) {
				t.Errorf("status = %v, want 200", out["status"])
			}
		})
	}
}

func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.Header().Add("X-Request-Id", "req_1")
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Origin")
		w.Header().Add("Set-Cookie", "session=SECRET1")
		w.Header().Add("X-Api-Key", "SECRET2")
		w.Header().Add("X-Upstream-Token", "SECRET3")
		w.WriteHeader(nethttp.StatusCreated)
	})
	res, err := b.run(t, map[string]any{})
	out := outputOf(t, res, err)
	h, _ := out["headers"].(map[string]any)
	want := map[string]string{"x-request-id": "req_1", "vary": "Accept, Origin", "set-cookie": "[redacted]", "x-api-key": "[redacted]", "x-upstream-token": "[redacted]"}
	for name, v := range want {
		if h[name] != v {
			t.Errorf("headers[%s] = %v, want %q", name, h[name], v)
		}
	}
	for name, v := range h {
		if s, _ := v.(string); strings.Contains(s, "SECRET") {
			t.Errorf("headers[%s] leaks a credential: %q", name, s)
		}
	}
	if out["status"] != float64(201) || out["body"] != nil || out["body_encoding"] != "none" {
		t.Errorf("output = %v, want status 201 and no body", out)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"at the limit", 100, false},
		{"over the limit", 101, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write([]byte(strings.Repeat("a", tt.size)))
			})
			res, err := b.run(t, map[string]any{"max_response_bytes": 100})
			if !tt.wantErr {
				if out := outputOf(t, res, err); len(out["body"].(string)) != tt.size {
					t.Fatalf("body length = %d, want %d", len(out["body"].(string)), tt.size)
				}
				return
			}
			if err == nil || codeOf(err) != "response_too_large" {
				t.Fatalf("err = %v (code %q), want response_too_large", err, codeOf(err))
			}
		})
	}
}

func TestDefaultSizeLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w nethttp.ResponseWriter, _ *nethttp.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 1<<20)
		for range 11 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	if _, err := b.run(t, map[string]any{}); codeOf(err) != "response_too_large" {
		t.Fatalf("err = %v, want response_too_large over the 10 MiB default", err)
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	answer := func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/old" {
			nethttp.Redirect(w, r, "/new", nethttp.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"at":"new"}`))
	}
	tests := []struct {
		name       string
		with       map[string]any
		wantStatus float64
		wantCode   string
	}{
		{"followed by default", map[string]any{}, 200, ""},
		{"not followed", map[string]any{"follow_redirects": false}, 0, "http_status"},
		{"not followed but accepted", map[string]any{"follow_redirects": false, "accept_status": []any{"2xx", "3xx"}}, 302, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, answer)
			tt.with["url"] = b.srv.URL + "/old"
			res, err := b.run(t, tt.with)
			if tt.wantCode != "" {
				if codeOf(err) != tt.wantCode || !strings.Contains(err.Error(), "302") {
					t.Fatalf("err = %v, want %s mentioning 302", err, tt.wantCode)
				}
				if b.count() != 1 {
					t.Errorf("server got %d requests, want 1 (no redirect)", b.count())
				}
				return
			}
			out := outputOf(t, res, err)
			if out["status"] != tt.wantStatus {
				t.Fatalf("status = %v, want %v", out["status"], tt.wantStatus)
			}
			if tt.wantStatus == 302 {
				if h := out["headers"].(map[string]any); h["location"] != "/new" {
					t.Errorf("location = %v, want /new", h["location"])
				}
			}
		})
	}
}
