package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Config configures a Manager.
type Config struct {
	Starter Starter
	// Workflows lists the enabled workflows that have queue bindings.
	Workflows func(ctx context.Context) ([]Workflow, error)
	// Connections resolves connections and dials their brokers through the
	// SSRF guard; values are never logged.
	Connections step.Connections
	Brokers     []Broker
	Logger      *slog.Logger
	Metrics     *Metrics
	// Owner names this process.
	Owner string
	// Node names this process stably across restarts (default Owner).
	Node string
	// Refresh is how often the workflow list is re-read (default 5s).
	Refresh time.Duration
	// Backoff bounds reconnect delays (default 250ms to 30s, full jitter).
	MinBackoff, MaxBackoff time.Duration
	// DedupeTTL is how long a message id is remembered (default 7 days):
	// a redelivery later than that starts a second execution.
	DedupeTTL time.Duration
	Now       func() time.Time
}

// WithDefaults fills in defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Refresh <= 0 {
		c.Refresh = 5 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 250 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.DedupeTTL <= 0 {
		c.DedupeTTL = 7 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Node == "" {
		c.Node = c.Owner
	}
	return c
}

// Validate checks the required fields.
func (c Config) Validate() error {
	if c.Starter == nil || c.Workflows == nil || c.Connections == nil {
		return errors.New("queue config: Starter, Workflows and Connections are required")
	}
	return nil
}

// Manager runs one consumer per binding of every enabled workflow.
type Manager struct {
	cfg     Config
	brokers map[string]Broker

	refreshMu sync.Mutex // held by a refresh, start to end
	mu        sync.Mutex
	running   map[string]*runner // by binding key
}

// New returns a Manager; nothing runs until Run.
func New(cfg Config) (*Manager, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, brokers: map[string]Broker{}, running: map[string]*runner{}}
	for _, b := range cfg.Brokers {
		if _, dup := m.brokers[b.Name()]; dup {
			return nil, fmt.Errorf("queue config: broker %q registered twice", b.Name())
		}
		m.brokers[b.Name()] = b
	}
	return m, nil
}

// Run keeps the consumers in line with the workflows until ctx ends, then
// stops them all and waits for them.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Refresh)
	defer t.Stop()
	for {
		if err := m.refresh(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.Error("reading queue bindings", "err", err)
		}
		select {
		case <-ctx.Done():
			m.stopAll()
			return nil
		case <-t.C:
		}
	}
}

// Refresh re-reads the workflows now (tests and the API call it after a
// change instead of waiting for the next tick).
func (m *Manager) Refresh(ctx context.Context) error { return m.refresh(ctx) }

func (m *Manager) refresh(ctx context.Context) error {
	// One refresh at a time: the ticker's and the API's could otherwise
	// both find a binding missing and start it twice.
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	wfs, err := m.cfg.Workflows(ctx)
	if err != nil {
		return err
	}
	type binding struct {
		wf Workflow
		i  int
		t  weft.QueueTrigger
	}
	want := map[string]binding{}
	var order []string
	for _, wf := range wfs {
		for i, t := range wf.Queue {
			key := bindingKey(wf, i, t)
			cred, cerr := m.cfg.Connections.Get(ctx, wf.Name, t.Connection)
			if cerr == nil {
				key += "/" + fingerprint(cred)
			}
			if _, dup := want[key]; !dup {
				order = append(order, key)
			}
			want[key] = binding{wf, i, t}
		}
	}
	// Stop what is no longer wanted before starting what replaces it: a
	// rebuilt binding (a new credential, a new version) must not consume
	// beside its predecessor. Two MQTT clients with the binding's client id
	// take the session from each other until the old one has stopped, and
	// the broker stops sending to a session it moved mid-flight.
	m.mu.Lock()
	var stale []*runner
	for k, r := range m.running {
		if _, ok := want[k]; !ok {
			stale = append(stale, r)
			delete(m.running, k)
		}
	}
	m.mu.Unlock()
	for _, r := range stale {
		r.stop()
	}
	for _, key := range order {
		m.mu.Lock()
		_, ok := m.running[key]
		m.mu.Unlock()
		if ok {
			continue
		}
		b := want[key]
		r := m.newRunner(b.wf, b.i, b.t)
		m.mu.Lock()
		m.running[key] = r
		m.mu.Unlock()
		r.start(ctx)
	}
	return nil
}

func (m *Manager) stopAll() {
	m.mu.Lock()
	rs := make([]*runner, 0, len(m.running))
	for k, r := range m.running {
		rs = append(rs, r)
		delete(m.running, k)
	}
	m.mu.Unlock()
	for _, r := range rs {
		r.stop()
	}
}

// bindingKey changes whenever a consumer must be rebuilt: a new workflow
// version with a different binding, or a changed credential.
func bindingKey(wf Workflow, i int, t any) string {
	b, _ := json.Marshal(struct {
		Index       int
		Concurrency int
		T           any
	}{i, wf.Concurrency, t})
	sum := sha256.Sum256(b)
	return wf.Name + "/" + hex.EncodeToString(sum[:8])
}

func fingerprint(c step.Credential) string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// prefetch is the binding's prefetch, never above the workflow's
// concurrency when that is set.
func prefetch(wf Workflow, opts map[string]any) int {
	p := spec.Int(opts, "prefetch")
	if p <= 0 {
		p = spec.DefaultPrefetch
	}
	if wf.Concurrency > 0 && p > wf.Concurrency {
		p = wf.Concurrency
	}
	return p
}

// Health returns every binding's health, ordered by workflow and index.
func (m *Manager) Health() []Health {
	m.mu.Lock()
	out := make([]Health, 0, len(m.running))
	for _, r := range m.running {
		out = append(out, r.health.snapshot(m.cfg.Now()))
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Workflow != out[j].Workflow {
			return out[i].Workflow < out[j].Workflow
		}
		return out[i].Index < out[j].Index
	})
	return out
}
