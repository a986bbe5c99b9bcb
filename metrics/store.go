package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// InstrumentStore wraps a store so every operation's latency lands in
// weft_store_operation_seconds{op}, and registers weft_queue_depth (executions
// queued or waiting, read from the store at scrape time).
func InstrumentStore(s store.Store, m *Metrics) store.Store {
	if m == nil {
		return s
	}
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "weft_queue_depth", Help: "Executions queued or waiting for a timer, across all processes.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := s.CountExecutions(ctx, "", weft.ExecutionQueued, weft.ExecutionWaiting)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return &instrumented{Store: s, h: m.StoreLatency}
}

type instrumented struct {
	store.Store
	h *prometheus.HistogramVec
}

var _ store.Store = (*instrumented)(nil)

var _ store.DeferredDeliveryLog = (*instrumented)(nil)

func (i *instrumented) observe(op string, start time.Time) {
	i.h.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (i *instrumented) Apply(ctx context.Context, m store.Mutation) (store.Result, error) {
	defer i.observe("apply", time.Now())
	return i.Store.Apply(ctx, m)
}

func (i *instrumented) GetExecution(ctx context.Context, id string) (weft.Execution, error) {
	defer i.observe("get_execution", time.Now())
	return i.Store.GetExecution(ctx, id)
}

func (i *instrumented) GetStepRuns(ctx context.Context, id string) ([]weft.StepRun, error) {
	defer i.observe("get_step_runs", time.Now())
	return i.Store.GetStepRuns(ctx, id)
}

func (i *instrumented) ListExecutions(ctx context.Context, f store.ExecutionFilter) ([]weft.Execution, string, error) {
	defer i.observe("list_executions", time.Now())
	return i.Store.ListExecutions(ctx, f)
}

func (i *instrumented) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, limits map[string]int) ([]weft.Execution, error) {
	defer i.observe("claim", time.Now())
	return i.Store.Claim(ctx, owner, now, lease, limit, limits)
}

func (i *instrumented) Renew(ctx context.Context, owner string, ids []string, until time.Time) ([]string, []string, error) {
	defer i.observe("renew", time.Now())
	return i.Store.Renew(ctx, owner, ids, until)
}

func (i *instrumented) Prune(ctx context.Context, before time.Time, batch int) (int, error) {
	defer i.observe("prune", time.Now())
	return i.Store.Prune(ctx, before, batch)
}

func (i *instrumented) PutWorkflow(ctx context.Context, rec weft.WorkflowRecord) (weft.WorkflowRecord, bool, error) {
	defer i.observe("put_workflow", time.Now())
	return i.Store.PutWorkflow(ctx, rec)
}

func (i *instrumented) GetWorkflow(ctx context.Context, name string) (weft.WorkflowRecord, error) {
	defer i.observe("get_workflow", time.Now())
	return i.Store.GetWorkflow(ctx, name)
}
