package engine

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"testing"
)

// countingHandler counts WithAttrs calls.
type countingHandler struct {
	slog.Handler
	withAttrs *int
}

func (c countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	*c.withAttrs++
	return countingHandler{c.Handler.WithAttrs(as), c.withAttrs}
}

// A step's logger writes what the engine's logger With the attempt's
// attributes writes, and adds them to the handler only once it logs.
func TestAttemptLoggerLikeWith(t *testing.T) {
	t.Parallel()
	stamp := regexp.MustCompile(`"time":"[^"]*",`)
	var got, want bytes.Buffer
	n := 0
	base := slog.New(countingHandler{slog.NewJSONHandler(&got, nil), &n})
	l := attemptLogger(base, "01EXEC", "fetch", 2)
	if n != 0 {
		t.Fatalf("WithAttrs ran %d times before anything was logged", n)
	}
	l.Debug("below the level")
	if !l.Enabled(context.Background(), slog.LevelInfo) || l.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("Enabled differs from the engine's handler")
	}
	l.Info("calling", "url", "https://example.test")
	l.WithGroup("g").Warn("grouped", "k", 1)
	l.With("extra", true).Error("with more")
	if n != 2 { // once for the attempt, once for "extra"
		t.Fatalf("WithAttrs ran %d times, want 2", n)
	}
	ref := slog.New(slog.NewJSONHandler(&want, nil)).With("execution_id", "01EXEC", "step", "fetch", "attempt", 2)
	ref.Debug("below the level")
	ref.Info("calling", "url", "https://example.test")
	ref.WithGroup("g").Warn("grouped", "k", 1)
	ref.With("extra", true).Error("with more")
	if g, w := stamp.ReplaceAllString(got.String(), ""), stamp.ReplaceAllString(want.String(), ""); g != w {
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}
}

// BenchmarkAttemptLogger is the logger every attempt gets, on the JSON
// handler of weft serve, for an attempt that logs nothing.
func BenchmarkAttemptLogger(b *testing.B) {
	base := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ReportAllocs()
	for b.Loop() {
		_ = attemptLogger(base, "01KB2XKQ0Y4T8Z6R5W3V1N9M7P", "compute", 1)
	}
}
