package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/alert"
	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/connectors/ai"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/outbound"
	"github.com/weftworks/weft/store"
)

// maxAlertScan bounds the executions one evaluation reads for a rule: a
// workflow with more in its window is judged on the newest ones.
const maxAlertScan = 10_000

// alertService holds the alert rules (from the --alerts file and from the
// API), evaluates them and answers the API.
type alertService struct {
	st            store.Store
	file          []alert.Rule
	ev            *alert.Evaluator
	now           func() time.Time
	firing, value *prometheus.GaugeVec
	notes         *prometheus.CounterVec
}

var _ api.Alerts = (*alertService)(nil)

func newAlertService(path string, interval time.Duration, st store.Store, eng *engine.Engine, breakers *circuit.Breakers,
	aiSvc *ai.Service, reg prometheus.Registerer, logger *slog.Logger) (*alertService, error) {
	s := &alertService{st: st, now: time.Now,
		firing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "weft_alert_firing", Help: "1 while the alert fires."}, []string{"alert"}),
		value:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "weft_alert_value", Help: "The alert's last evaluated value."}, []string{"alert"}),
		notes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_alert_notifications_total",
			Help: "Notify workflows started by alerts, by state (firing, repeat, resolved)."}, []string{"alert", "state"}),
	}
	for _, c := range []prometheus.Collector{s.firing, s.value, s.notes} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering alert metrics: %w", err)
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("--alerts: %w", err)
		}
		if s.file, err = alert.ParseFile(data); err != nil {
			return nil, fmt.Errorf("--alerts %s: %w", path, err)
		}
	}
	ev, err := alert.New(alert.Config{Store: st, Owner: eng.Owner(), Interval: interval, Logger: logger,
		Source: alertSource{st: st, breakers: breakers, ai: aiSvc},
		Rules:  s.rules,
		Notify: func(ctx context.Context, r alert.Rule, n alert.Notification, key string) error {
			in, err := json.Marshal(n)
			if err != nil {
				return err
			}
			_, err = eng.Start(ctx, engine.StartRequest{Workflow: r.Notify, Input: in, Trigger: weft.TriggerAlert,
				Dedupe: &store.DedupeKey{Scope: "alert:" + r.Name, Key: key, ExpiresAt: time.Now().Add(30 * 24 * time.Hour)}})
			state := n.State
			if n.Repeat {
				state = "repeat"
			}
			s.notes.WithLabelValues(r.Name, state).Inc()
			return err
		},
		Observe: func(r alert.Rule, st store.AlertState) {
			f := 0.0
			if st.State == store.AlertFiring {
				f = 1
			}
			s.firing.WithLabelValues(r.Name).Set(f)
			s.value.WithLabelValues(r.Name).Set(st.Value)
		},
	})
	if err != nil {
		return nil, err
	}
	s.ev = ev
	return s, nil
}

// rules are the file's rules and then the API's, by name.
func (s *alertService) rules(ctx context.Context) ([]alert.Rule, error) {
	docs, err := s.st.ListAlertRules(ctx)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(s.file)
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		var r alert.Rule
		if err := json.Unmarshal(docs[n], &r); err != nil {
			return nil, fmt.Errorf("alert rule %q in the database: %w", n, err)
		}
		r.Source = "api"
		out = append(out, r)
	}
	return out, nil
}

// Run evaluates the rules until ctx ends.
func (s *alertService) Run(ctx context.Context) error { return s.ev.Run(ctx) }

// ListAlerts implements api.Alerts.
func (s *alertService) ListAlerts(ctx context.Context) ([]api.AlertStatus, error) {
	rules, err := s.rules(ctx)
	if err != nil {
		return nil, err
	}
	states, err := s.st.ListAlertStates(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]store.AlertState{}
	for _, st := range states {
		byName[st.Name] = st
	}
	out := make([]api.AlertStatus, 0, len(rules))
	for _, r := range rules {
		st, ok := byName[r.Name]
		if !ok || st.EvaluatedAt == nil {
			st = store.AlertState{Name: r.Name, State: "pending"}
		}
		out = append(out, api.AlertStatus{Rule: r, State: st})
	}
	return out, nil
}

// PutAlert implements api.Alerts.
func (s *alertService) PutAlert(ctx context.Context, r alert.Rule) (alert.Rule, error) {
	r = r.WithDefaults()
	r.Source = ""
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("%w: %w", weft.ErrInvalid, err)
	}
	for _, f := range s.file {
		if f.Name == r.Name {
			return r, fmt.Errorf("alert %q is defined in the --alerts file; change it there: %w", r.Name, weft.ErrConflict)
		}
	}
	docs, err := s.st.ListAlertRules(ctx)
	if err != nil {
		return r, err
	}
	if _, exists := docs[r.Name]; !exists && len(docs) >= alert.MaxRules {
		return r, fmt.Errorf("at most %d alert rules can be made through the API: %w", alert.MaxRules, weft.ErrInvalid)
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	if err := s.st.PutAlertRule(ctx, r.Name, doc, s.now()); err != nil {
		return r, err
	}
	s.ev.Kick()
	r.Source = "api"
	return r, nil
}

// DeleteAlert implements api.Alerts.
func (s *alertService) DeleteAlert(ctx context.Context, name string) error {
	for _, f := range s.file {
		if f.Name == name {
			return fmt.Errorf("alert %q is defined in the --alerts file; remove it there: %w", name, weft.ErrConflict)
		}
	}
	if err := s.st.DeleteAlertRule(ctx, name); err != nil {
		return err
	}
	s.firing.DeleteLabelValues(name)
	s.value.DeleteLabelValues(name)
	return nil
}

// alertSource reads what rules measure from the store, the breakers and
// the AI budgets.
type alertSource struct {
	st       store.Store
	breakers *circuit.Breakers
	ai       *ai.Service
}

var _ alert.Source = alertSource{}

// scan walks the executions of workflow newest first while created at or
// after since (at most maxAlertScan).
func (a alertSource) scan(ctx context.Context, workflow string, since time.Time, visit func(weft.Execution) bool) error {
	page := store.Page{Limit: 500}
	for seen := 0; seen < maxAlertScan; {
		exs, next, err := a.st.ListExecutions(ctx, store.ExecutionFilter{Workflow: workflow, Page: page})
		if err != nil {
			return fmt.Errorf("listing executions of %q: %w", workflow, err)
		}
		for _, ex := range exs {
			seen++
			if ex.CreatedAt.Before(since) || !visit(ex) {
				return nil
			}
		}
		if next == "" || len(exs) == 0 {
			return nil
		}
		page.Cursor = next
	}
	return nil
}

// Finished implements alert.Source over the executions created in the window.
func (a alertSource) Finished(ctx context.Context, workflow string, since time.Time) (alert.Stats, error) {
	var s alert.Stats
	err := a.scan(ctx, workflow, since, func(ex weft.Execution) bool {
		if !ex.Status.Finished() || ex.Status == weft.ExecutionCanceled {
			return true
		}
		s.Finished++
		if ex.Status == weft.ExecutionFailed {
			s.Failed++
		}
		start := ex.CreatedAt
		if ex.StartedAt != nil {
			start = *ex.StartedAt
		}
		if ex.FinishedAt != nil {
			s.Durations = append(s.Durations, ex.FinishedAt.Sub(start))
		}
		return true
	})
	return s, err
}

// LastTriggered implements alert.Source.
func (a alertSource) LastTriggered(ctx context.Context, workflow string) (time.Time, bool, error) {
	var last time.Time
	err := a.scan(ctx, workflow, time.Time{}, func(ex weft.Execution) bool {
		switch ex.Trigger {
		case weft.TriggerWebhook, weft.TriggerSchedule, weft.TriggerQueue:
			last = ex.CreatedAt
			return false
		}
		return true
	})
	return last, !last.IsZero(), err
}

// FailedDeliveries implements alert.Source: outbound deliveries are
// executions of the delivery workflow.
func (a alertSource) FailedDeliveries(ctx context.Context, since time.Time) (int, error) {
	s, err := a.Finished(ctx, outbound.DeliveryWorkflow, since)
	if errors.Is(err, weft.ErrNotFound) {
		return 0, nil
	}
	return s.Failed, err
}

// CircuitOpen implements alert.Source.
func (a alertSource) CircuitOpen(connection string) bool {
	if a.breakers == nil {
		return false
	}
	for _, st := range a.breakers.Connection(connection) {
		if st == circuit.Open {
			return true
		}
	}
	return false
}

// BudgetSpent implements alert.Source.
func (a alertSource) BudgetSpent(ctx context.Context, workflow, credential string) (float64, bool, error) {
	return a.ai.BudgetSpent(ctx, workflow, credential)
}
