package cli

import (
	"fmt"
	"log/slog"

	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/poll"
)

// newPoller wires the polling triggers: their steps run with the same
// HTTP client (SSRF guard), connections and limiter as the engine's.
func newPoller(eng *engine.Engine, st store.Store, reg *step.Registry, out *outside, m *metrics.Metrics, logger *slog.Logger) (*poll.Poller, error) {
	pm, err := poll.NewMetrics(m.Registry)
	if err != nil {
		return nil, fmt.Errorf("poll metrics: %w", err)
	}
	return poll.New(poll.Config{
		Engine: eng, Store: st, Registry: reg, Logger: logger, Metrics: pm, Owner: eng.Owner(),
		Env: step.Env{HTTP: out.client, Connections: out.vault, Limiter: out.limiter},
	})
}
