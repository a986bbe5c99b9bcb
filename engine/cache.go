package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Redactor removes known secret values from recorded text
// (credential.Redactor implements it).
type Redactor interface {
	String(s string) string
	Bytes(b []byte) []byte
}

// stepCache serves `cache:` from the store, shared by every process on
// PostgreSQL.
type stepCache struct {
	st     store.Cache
	lookup *prometheus.CounterVec
}

func newStepCache(st store.Cache, m *metrics.Metrics) *stepCache {
	c := &stepCache{st: st, lookup: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "weft_step_cache_total", Help: "Step cache lookups, by step type and result (hit, miss).",
	}, []string{"type", "result"})}
	if m != nil && m.Registry != nil {
		_ = m.Registry.Register(c.lookup) // a second engine on one registry shares the first's
	}
	return c
}

// key is the cache key of one step run: the step's `cache.key` template
// (scoped to the workflow and step), or a hash of the step type and its
// recorded inputs (credential values are already redacted there, so they
// never become part of a key).
func (c *stepCache) key(ctx context.Context, n *workflow.Node, wf string, scope expr.Scope, recordedInput []byte) (string, error) {
	h := sha256.New()
	if n.CacheKey != nil {
		v, err := n.CacheKey.Eval(ctx, scope)
		if err != nil {
			return "", fmt.Errorf("evaluating cache.key of step %q: %w", n.Step.ID, err)
		}
		fmt.Fprintf(h, "key\x00%s\x00%s\x00%v", wf, n.Step.ID, v)
	} else {
		fmt.Fprintf(h, "inputs\x00%s\x00%s", n.Step.Uses, recordedInput)
	}
	return "step:" + hex.EncodeToString(h.Sum(nil)), nil
}

func (c *stepCache) get(ctx context.Context, typ, key string, now time.Time) (json.RawMessage, bool) {
	v, ok, err := c.st.GetCached(ctx, key, now)
	if err != nil || !ok {
		c.lookup.WithLabelValues(typ, "miss").Inc()
		return nil, false
	}
	c.lookup.WithLabelValues(typ, "hit").Inc()
	return v, true
}

func (c *stepCache) put(ctx context.Context, key string, out json.RawMessage, ttl time.Duration, now time.Time) error {
	return c.st.PutCached(ctx, key, out, now.Add(ttl))
}

func (c *stepCache) prune(ctx context.Context, now time.Time, log *slog.Logger) {
	for ctx.Err() == nil {
		n, err := c.st.PruneCache(ctx, now, 500)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("pruning step cache", "err", err)
			}
			return
		}
		if n < 500 {
			return
		}
	}
}

// addHistory appends an entry to a step run's history, keeping the newest
// weft.MaxHistory.
func addHistory(t *weft.StepRun, a weft.Attempt) {
	t.History = append(t.History, a)
	if over := len(t.History) - weft.MaxHistory; over > 0 {
		t.History = append([]weft.Attempt(nil), t.History[over:]...)
	}
}
