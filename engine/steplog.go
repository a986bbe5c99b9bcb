package engine

import (
	"context"
	"log/slog"
	"sync"
)

// attemptLogger is the logger a step attempt gets: the engine's, with the
// execution id, step id and attempt number. A JSON or text handler formats
// attributes as soon as they are added (and the redacting handler scans
// them), while most attempts (transform, respond…) log nothing; the
// attributes are added to the handler the first time the attempt logs.
func attemptLogger(base *slog.Logger, executionID, stepID string, attempt int) *slog.Logger {
	l := &lazyAttrs{}
	l.init(base, executionID, stepID, attempt)
	return slog.New(l)
}

func (l *lazyAttrs) init(base *slog.Logger, executionID, stepID string, attempt int) {
	l.base, l.executionID, l.stepID, l.attempt = base.Handler(), executionID, stepID, attempt
}

// lazyAttrs is base.WithAttrs(execution_id, step, attempt), made when first
// needed.
type lazyAttrs struct {
	base                slog.Handler
	executionID, stepID string
	attempt             int
	once                sync.Once
	with                slog.Handler
}

var _ slog.Handler = (*lazyAttrs)(nil)

func (l *lazyAttrs) handler() slog.Handler {
	l.once.Do(func() {
		l.with = l.base.WithAttrs([]slog.Attr{
			slog.String("execution_id", l.executionID), slog.String("step", l.stepID), slog.Int("attempt", l.attempt)})
	})
	return l.with
}

func (l *lazyAttrs) Enabled(ctx context.Context, level slog.Level) bool {
	return l.base.Enabled(ctx, level)
}

func (l *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	return l.handler().Handle(ctx, r)
}

func (l *lazyAttrs) WithAttrs(as []slog.Attr) slog.Handler { return l.handler().WithAttrs(as) }

func (l *lazyAttrs) WithGroup(name string) slog.Handler { return l.handler().WithGroup(name) }
