package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchBody is the request of the peer benchmark (bench/webhook-load.sh).
const benchBody = `{"customer":"c1","text":"hello world","amount":42}`

// wireBench builds the application exactly as weft serve does (Wire, with
// the bench workflow seeded into a fresh SQLite database) and starts its
// loops; the handler is a.Handler, the one weft serve's http.Server runs.
func wireBench(b *testing.B) http.Handler {
	b.Helper()
	env := &Env{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	a, err := Wire(context.Background(), AppConfig{Env: env, Data: b.TempDir(), Seed: true})
	if err != nil {
		b.Fatal(err)
	}
	stop := a.Start(context.Background())
	b.Cleanup(func() {
		stop()
		_ = a.Close()
	})
	return a.Handler
}

// BenchmarkServeHandlerBench sends POST /hooks/bench through weft serve's
// whole handler (MCP and gateway muxes, request log, panic recovery,
// security headers, body limits, the root mux, the webhook handler, the
// engine and SQLite) into a ResponseRecorder, one request at a time: what
// the HTTP stack above net/http costs per request, next to
// trigger/webhook's BenchmarkSyncBenchSerial, which calls the webhook
// handler directly.
func BenchmarkServeHandlerBench(b *testing.B) {
	h := wireBench(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/hooks/bench", strings.NewReader(benchBody))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkServeLoopbackBench is BenchmarkServeHandlerBench through a real
// net/http server on 127.0.0.1 and one keep-alive client connection, so
// it also counts net/http's own work on both ends (reading the request,
// writing the response, the client).
func BenchmarkServeLoopbackBench(b *testing.B) {
	srv := httptest.NewServer(wireBench(b))
	b.Cleanup(srv.Close)
	client := srv.Client()
	url := srv.URL + "/hooks/bench"
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(benchBody))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
