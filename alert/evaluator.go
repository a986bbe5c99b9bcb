package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Notification is the input of a rule's notify workflow.
type Notification struct {
	Alert     string    `json:"alert"`
	Kind      Kind      `json:"kind"`
	State     string    `json:"state"` // firing or resolved
	Repeat    bool      `json:"repeat,omitempty"`
	Value     float64   `json:"value"`
	Threshold float64   `json:"threshold"`
	Since     time.Time `json:"since"`
	Workflow  string    `json:"workflow,omitempty"`
}

// Notifier runs a rule's notify workflow. key is unique per notification
// (the alert, its state and when it was sent), so a repeat of the same
// notification by a process that took over is recognized.
type Notifier func(ctx context.Context, r Rule, n Notification, key string) error

// Rules lists the rules to evaluate (file rules and API rules).
type Rules func(ctx context.Context) ([]Rule, error)

// Observer is told of every evaluation (metrics).
type Observer func(r Rule, st store.AlertState)

// Config configures an Evaluator.
type Config struct {
	Store  store.Alerts
	Source Source
	Rules  Rules
	Notify Notifier
	// Owner names this process in alert leases.
	Owner string
	// Interval between evaluations (default 15s); a lease lasts three
	// intervals, so another process takes over an alert within that time
	// after its evaluator stops.
	Interval time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
	Observe  Observer
}

// WithDefaults fills in defaults.
func (c Config) WithDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate names a missing dependency.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("alert: Config.Store is required")
	case c.Source == nil:
		return errors.New("alert: Config.Source is required")
	case c.Rules == nil:
		return errors.New("alert: Config.Rules is required")
	case c.Notify == nil:
		return errors.New("alert: Config.Notify is required")
	case c.Owner == "":
		return errors.New("alert: Config.Owner is required")
	}
	return nil
}

// Evaluator evaluates the rules on a timer.
type Evaluator struct {
	cfg     Config
	started time.Time

	mu   sync.Mutex
	kick chan struct{}
}

// New builds an evaluator; nothing runs until Run.
func New(cfg Config) (*Evaluator, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Evaluator{cfg: cfg, started: cfg.Now(), kick: make(chan struct{}, 1)}, nil
}

// Kick asks for an evaluation now (a rule was created).
func (e *Evaluator) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Run evaluates every Interval until ctx ends.
func (e *Evaluator) Run(ctx context.Context) error {
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	for {
		e.EvaluateAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-e.kick:
		}
	}
}

// EvaluateAll evaluates each rule this process holds (or can take).
func (e *Evaluator) EvaluateAll(ctx context.Context) {
	e.mu.Lock() // one pass at a time (Run and a Kick)
	defer e.mu.Unlock()
	rules, err := e.cfg.Rules(ctx)
	if err != nil {
		e.cfg.Logger.Warn("listing alert rules", "err", err)
		return
	}
	for _, r := range rules {
		if ctx.Err() != nil {
			return
		}
		if err := e.evaluate(ctx, r); err != nil {
			e.cfg.Logger.Warn("evaluating alert", "alert", r.Name, "err", err)
		}
	}
}

func (e *Evaluator) evaluate(ctx context.Context, r Rule) error {
	now := e.cfg.Now().UTC()
	st, ok, err := e.cfg.Store.ClaimAlert(ctx, r.Name, e.cfg.Owner, now, 3*e.cfg.Interval)
	if err != nil || !ok {
		return err // !ok: another process evaluates this alert
	}
	value, holds, err := e.measure(ctx, r, now, st.State == store.AlertFiring)
	if err != nil {
		return err
	}
	st.Value, st.EvaluatedAt = value, &now
	var n *Notification
	switch {
	case holds && st.State != store.AlertFiring:
		st.State, st.Since, st.NotifiedAt = store.AlertFiring, &now, &now
		n = &Notification{State: "firing"}
	case holds && r.Repeat > 0 && st.NotifiedAt != nil && now.Sub(*st.NotifiedAt) >= r.Repeat.D():
		st.NotifiedAt = &now
		n = &Notification{State: "firing", Repeat: true}
	case !holds && st.State == store.AlertFiring:
		st.State, st.Since, st.NotifiedAt = store.AlertOK, &now, &now
		n = &Notification{State: "resolved"}
	case st.Since == nil:
		st.State, st.Since = store.AlertOK, &now
	}
	// The state is stored before the notification runs: a process that
	// dies in between loses a notification rather than sending it twice,
	// and the notify workflow's dedupe key covers a retry of the same one.
	if err := e.cfg.Store.SaveAlertState(ctx, st, e.cfg.Owner); err != nil {
		return err
	}
	if e.cfg.Observe != nil {
		e.cfg.Observe(r, st)
	}
	if n == nil {
		return nil
	}
	n.Alert, n.Kind, n.Value, n.Threshold, n.Since, n.Workflow = r.Name, r.Kind, value, threshold(r), *st.Since, r.Workflow
	key := fmt.Sprintf("%s@%d", n.State, st.NotifiedAt.UnixMicro())
	e.cfg.Logger.Info("alert "+n.State, "alert", r.Name, "kind", r.Kind, "value", value, "threshold", n.Threshold, "repeat", n.Repeat)
	if err := e.cfg.Notify(ctx, r, *n, key); err != nil {
		return fmt.Errorf("running notify workflow %q: %w", r.Notify, err)
	}
	return nil
}

// threshold is the value the rule compares with (trigger_silent: the
// window in seconds).
func threshold(r Rule) float64 {
	if r.Kind == TriggerSilent {
		return r.Window.D().Seconds()
	}
	return r.Threshold
}

// measure computes the rule's value and whether its condition holds.
func (e *Evaluator) measure(ctx context.Context, r Rule, now time.Time, firing bool) (float64, bool, error) {
	since := now.Add(-r.Window.D())
	switch r.Kind {
	case Failures, ErrorRate, P95Latency:
		s, err := e.cfg.Source.Finished(ctx, r.Workflow, since)
		if err != nil {
			return 0, false, err
		}
		switch r.Kind {
		case Failures:
			v := float64(s.Failed)
			return v, v >= r.Threshold, nil
		case ErrorRate:
			if s.Finished == 0 {
				return 0, false, nil
			}
			v := float64(s.Failed) / float64(s.Finished)
			return round(v), s.Finished >= r.MinExecutions && v >= r.Threshold, nil
		default:
			if len(s.Durations) == 0 {
				return 0, false, nil
			}
			v := p95(s.Durations).Seconds()
			return round(v), v >= r.Threshold, nil
		}
	case TriggerSilent:
		last, ok, err := e.cfg.Source.LastTriggered(ctx, r.Workflow)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			// Never triggered: count from this process's start, so a new
			// workflow does not page at once; a firing alert stays firing.
			v := now.Sub(e.started).Seconds()
			return round(v), firing || v >= r.Window.D().Seconds(), nil
		}
		v := now.Sub(last).Seconds()
		return round(v), v >= r.Window.D().Seconds(), nil
	case DeliveriesFailing:
		n, err := e.cfg.Source.FailedDeliveries(ctx, since)
		if err != nil {
			return 0, false, err
		}
		return float64(n), float64(n) >= r.Threshold, nil
	case CircuitOpen:
		if e.cfg.Source.CircuitOpen(r.Connection) {
			return 1, true, nil
		}
		return 0, false, nil
	case AIBudget:
		share, ok, err := e.cfg.Source.BudgetSpent(ctx, r.Workflow, r.Credential)
		if err != nil || !ok {
			return 0, false, err
		}
		return round(share), share >= r.Threshold, nil
	}
	return 0, false, fmt.Errorf("unknown alert kind %q: %w", r.Kind, weft.ErrInvalid)
}

func round(v float64) float64 { return math.Round(v*1000) / 1000 }
