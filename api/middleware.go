package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/weftworks/weft/internal/logbound"
)

// statusWriter records the status and size of a response for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines (SSE).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, path, status and duration of every request. It
// never logs bodies, query strings (they may hold access_token) or headers.
// Anyone can send requests, so the path is clipped and refusals (4xx, 5xx)
// are logged at most at a per-source rate, the rest counted in
// weft_log_suppressed_total{log="server_log"} and summed up in a later line.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		level := slog.LevelInfo
		switch {
		case sw.status >= 500:
			level = slog.LevelWarn
		case sw.status < 400 && strings.HasPrefix(r.URL.Path, "/hooks/"):
			// Accepted webhooks are the hot path and each one is an
			// execution already: log them at debug, refusals at info.
			level = slog.LevelDebug
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		if sw.status >= 400 {
			ok, dropped := s.refusals.Allow(sourceHost(r), start)
			if dropped > 0 {
				s.log.Warn("left refused requests out of the log: their sources sent more than the per-source limit", "count", dropped)
			}
			if !ok {
				s.cfg.Metrics.Suppressed("server_log", 1)
				return
			}
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", logbound.Clip(r.Method, 32)),
			slog.String("path", logbound.Clip(r.URL.Path, logbound.MaxString)),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", s.cfg.Now().Sub(start)))
	})
}

// sourceHost is the TCP peer's address, the key of the log limiter. Behind a
// reverse proxy every caller shares the proxy's budget: the log stays
// bounded, which is the point.
func sourceHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recoverPanics turns a panic in a handler into a 500 and a log line with
// the stack.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "method", r.Method, "path", logbound.Clip(r.URL.Path, logbound.MaxString), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				return // the response started; the client sees a cut-off body
			}
			writeError(w, r, nil, errors.New("panic"))
		}()
		next.ServeHTTP(w, r)
	})
}

// apiPolicy is the Content-Security-Policy of everything the API serves:
// JSON and a few plain pages need nothing, and no one may frame them. The
// console (cfg.UI) replaces it with its own.
const apiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// secureHeaders sets the browser security headers. /hooks/ keeps only
// nosniff: a webhook's respond step decides the rest of its response.
func (s *server) secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if !strings.HasPrefix(r.URL.Path, "/hooks/") {
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", apiPolicy)
			// The OAuth callback's query holds an authorization code.
			h.Set("Referrer-Policy", "no-referrer")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBodies caps request bodies at MaxBody on every path but /hooks/,
// whose webhooks carry their own per-workflow limit.
func (s *server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/hooks/") {
			next.ServeHTTP(w, r)
			return
		}
		limit := s.cfg.MaxBody
		if r.URL.Path == "/api/v1/connectors/import" {
			limit = max(limit, importMaxBody)
		}
		if r.ContentLength > limit {
			writeError(w, r, nil, tooLarge(limit))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}
