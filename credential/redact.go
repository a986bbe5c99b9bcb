package credential

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces a secret wherever it would be recorded.
const Redacted = "[redacted]"

// minSecretLen: shorter values are not redacted; replacing "a" or "42"
// everywhere would shred ordinary text without protecting anything.
const minSecretLen = 6

// Redactor knows the secret values handed out in this process (credential
// fields and derived tokens) and removes them from text.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]struct{}
	r       *strings.Replacer // rebuilt lazily after Add
}

// NewRedactor returns an empty redactor.
func NewRedactor() *Redactor { return &Redactor{secrets: map[string]struct{}{}} }

// Add registers a secret value and the spellings it takes on the way out:
// JSON-escaped (in recorded documents) and percent-encoded (in a URL's
// query, e.g. an api_key sent as a parameter).
func (r *Redactor) Add(s string) {
	if r == nil || len(s) < minSecretLen {
		return
	}
	forms := []string{s}
	if b, err := json.Marshal(s); err == nil {
		if esc := string(b[1 : len(b)-1]); esc != s {
			forms = append(forms, esc)
		}
	}
	for _, esc := range []string{url.QueryEscape(s), url.PathEscape(s)} {
		if esc != s && !slices.Contains(forms, esc) {
			forms = append(forms, esc)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range forms {
		if _, ok := r.secrets[f]; !ok {
			r.secrets[f] = struct{}{}
			r.r = nil
		}
	}
}

func (r *Redactor) replacer() *strings.Replacer {
	r.mu.RLock()
	rep := r.r
	r.mu.RUnlock()
	if rep != nil {
		return rep
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r == nil {
		// Longest first, so a secret containing another is replaced whole.
		list := make([]string, 0, len(r.secrets))
		for s := range r.secrets {
			list = append(list, s)
		}
		sortByLenDesc(list)
		args := make([]string, 0, 2*len(list))
		for _, s := range list {
			args = append(args, s, Redacted)
		}
		r.r = strings.NewReplacer(args...)
	}
	return r.r
}

func sortByLenDesc(list []string) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && len(list[j]) > len(list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// String returns s with every known secret replaced by [redacted].
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	n := len(r.secrets)
	r.mu.RUnlock()
	if n == 0 {
		return s
	}
	return r.replacer().Replace(s)
}

// Bytes is String for byte slices (JSON documents): the result stays valid
// JSON because secrets are replaced in their escaped spelling.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || len(b) == 0 {
		return b
	}
	s := r.String(string(b))
	if len(s) == len(b) && s == string(b) {
		return b
	}
	return []byte(s)
}

// Handler wraps a slog.Handler so that no log line carries a known secret,
// whatever attribute or message it hides in.
func (r *Redactor) Handler(h slog.Handler) slog.Handler { return &redactHandler{h: h, r: r} }

type redactHandler struct {
	h slog.Handler
	r *Redactor
}

func (rh *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return rh.h.Enabled(ctx, l) }

func (rh *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rh.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rh.attr(a))
		return true
	})
	return rh.h.Handle(ctx, out)
}

func (rh *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, rh.r.String(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]any, len(as))
		for i, x := range as {
			out[i] = rh.attr(x)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, rh.r.String(err.Error()))
		}
		return slog.String(a.Key, rh.r.String(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (rh *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = rh.attr(a)
	}
	return &redactHandler{h: rh.h.WithAttrs(out), r: rh.r}
}

func (rh *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: rh.h.WithGroup(name), r: rh.r}
}
