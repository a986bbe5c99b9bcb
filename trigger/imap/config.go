package imap

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

// Engine is what the watcher needs of the engine.
type Engine interface {
	Compiled(ctx context.Context, name string) (weft.WorkflowRecord, *workflow.Compiled, error)
	Start(ctx context.Context, req engine.StartRequest) (*engine.Started, error)
}

// Store holds the workflows and the cursors and claims (poll states).
type Store interface {
	ListWorkflows(ctx context.Context, page store.Page) ([]weft.WorkflowRecord, string, error)
	store.Polls
}

// Config configures a Manager.
type Config struct {
	Engine Engine
	Store  Store
	// Connections resolves the imap credential and dials its server
	// through the SSRF guard.
	Connections step.Connections
	Logger      *slog.Logger
	// Owner names this process in claims.
	Owner string
	// Refresh is how often the workflows are re-read (default 5s).
	Refresh time.Duration
	// Lease is how long a claim on a mailbox lasts without renewal
	// (default 1m): a crashed process's mailbox is taken over within it.
	// The watcher renews it every cycle, so it must exceed Idle plus two
	// Watchdog bounds.
	Lease time.Duration
	// Idle is how long one IDLE lasts before it is ended and the server
	// asked NOOP (default 25s): the keepalive.
	Idle time.Duration
	// Watchdog bounds every command and the end of IDLE (default 15s);
	// a server that does not answer within it is treated as gone.
	Watchdog time.Duration
	// BackoffMin and BackoffMax bound the reconnect delay (defaults 1s
	// and 5m), doubled after each failure.
	BackoffMin, BackoffMax time.Duration
	// MaxMessageBytes bounds the bytes of one message read (default
	// 1 MiB); MaxTextBytes the text and html bodies each (default 256 KiB).
	MaxMessageBytes, MaxTextBytes int
	// DedupeTTL is how long a message key is remembered (default 30 days).
	DedupeTTL time.Duration
	Now       func() time.Time
}

// WithDefaults fills in defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Refresh, 5*time.Second)
	def(&c.Lease, time.Minute)
	def(&c.Idle, 25*time.Second)
	def(&c.Watchdog, 15*time.Second)
	def(&c.BackoffMin, time.Second)
	def(&c.BackoffMax, 5*time.Minute)
	def(&c.DedupeTTL, 30*24*time.Hour)
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 1 << 20
	}
	if c.MaxTextBytes <= 0 {
		c.MaxTextBytes = 256 << 10
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate checks the required fields.
func (c Config) Validate() error {
	if c.Engine == nil || c.Store == nil || c.Connections == nil {
		return errors.New("imap config: Engine, Store and Connections are required")
	}
	if c.Owner == "" {
		return errors.New("imap config: Owner is required (it names this process in claims)")
	}
	return nil
}
