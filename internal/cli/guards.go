package cli

import (
	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/ratelimit"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/schedule"
	"github.com/weftworks/weft/trigger/webhook"
)

// The consumers wired here declare the small interfaces they use; these
// guards make a change of the engine's or the store's signatures fail the
// build here, at the composition root, rather than in a caller's test.
var (
	_ schedule.Engine = (*engine.Engine)(nil)
	_ schedule.Store  = store.Store(nil)
	_ outbound.Engine = (*engine.Engine)(nil)
	_ outbound.Store  = store.Store(nil)
	_ webhook.Engine  = (*engine.Engine)(nil)
	_ webhook.Store   = store.Store(nil)

	_ api.Subscriptions = (*outbound.Service)(nil)
	_ api.LimiterStates = (*ratelimit.Limiter)(nil)
	_ api.BreakerStates = (*circuit.Breakers)(nil)
)
