package poll

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

// Engine is what the poller needs of the engine: the compiled active
// version of a workflow and starting executions (whose dedupe key claims
// the item).
type Engine interface {
	Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error)
	Start(ctx context.Context, req engine.StartRequest) (*engine.Started, error)
}

// Store is what the poller reads and writes.
type Store interface {
	ListWorkflows(ctx context.Context, page store.Page) ([]weft.WorkflowRecord, string, error)
	store.Polls
}

// DefaultMaxOutputBytes bounds the JSON size of one poll's step output.
const DefaultMaxOutputBytes = 16 << 20

// Config configures a Poller.
type Config struct {
	Engine   Engine
	Store    Store
	Registry *step.Registry
	// Env is the template of the step environment a poll runs with (HTTP
	// client, connections, limiter); Logger, Now and Emit are set per poll.
	Env     step.Env
	Logger  *slog.Logger
	Metrics *Metrics
	// Owner names this process in claims.
	Owner string
	// Tick is how often due triggers are checked (default 1s); Refresh how
	// often the workflows are re-read (default 5s).
	Tick, Refresh time.Duration
	// Timeout bounds one poll's step (default 60s); the claim is held for
	// Timeout plus a minute, so a process that dies mid-poll frees it.
	Timeout time.Duration
	// DedupeTTL is how long an item id is remembered in the store (default
	// 30 days); SeenMax how many recent ids each trigger keeps to skip
	// without asking the store (default 2000, at least 2×max_items).
	DedupeTTL time.Duration
	SeenMax   int
	// MaxOutputBytes bounds the JSON size of one poll's step output
	// (default DefaultMaxOutputBytes).
	MaxOutputBytes int
	Now            func() time.Time
}

// WithDefaults fills in defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Tick <= 0 {
		c.Tick = time.Second
	}
	if c.Refresh <= 0 {
		c.Refresh = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	if c.DedupeTTL <= 0 {
		c.DedupeTTL = 30 * 24 * time.Hour
	}
	if c.SeenMax <= 0 {
		c.SeenMax = 2000
	}
	if c.MaxOutputBytes <= 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate checks the required fields.
func (c Config) Validate() error {
	if c.Engine == nil || c.Store == nil || c.Registry == nil {
		return errors.New("poll config: Engine, Store and Registry are required")
	}
	if c.Owner == "" {
		return errors.New("poll config: Owner is required (it names this process in claims)")
	}
	return nil
}
