package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queueamqp"
	"github.com/weftworks/weft/trigger/queue/queuekafka"
	"github.com/weftworks/weft/trigger/queue/queuemqtt"
	"github.com/weftworks/weft/trigger/queue/queuenats"
	"github.com/weftworks/weft/trigger/queue/queuepg"
	"github.com/weftworks/weft/trigger/queue/queueredis"
)

// queueBrokers are the brokers built into this binary.
func queueBrokers() []queue.Broker {
	return []queue.Broker{queueamqp.Broker{}, queuenats.Broker{}, queueredis.Broker{}, queuekafka.Broker{}, queuemqtt.Broker{}, queuepg.Broker{}}
}

// queuePublishers are the publishers of queue.publish; the App closes them.
func queuePublishers() []queue.Publisher {
	return []queue.Publisher{queueamqp.NewPublisher(), queuenats.NewPublisher(), queueredis.NewPublisher(), queuekafka.NewPublisher(), queuemqtt.NewPublisher()}
}

// newQueueManager wires the queue triggers to the engine and the vault.
func newQueueManager(eng *engine.Engine, st store.Store, conns step.Connections, data string, reg prometheus.Registerer, logger *slog.Logger) (*queue.Manager, error) {
	m, err := queue.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("queue metrics: %w", err)
	}
	return queue.New(queue.Config{
		Starter:     engineStarter{eng},
		Workflows:   func(ctx context.Context) ([]queue.Workflow, error) { return queueWorkflows(ctx, eng, st, logger) },
		Connections: conns, Brokers: queueBrokers(), Logger: logger, Metrics: m, Owner: eng.Owner(), Node: queueNode(data),
	})
}

// queueNode names this process stably across restarts: its host and data
// directory. Two processes on one host have different data directories.
func queueNode(data string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(data); err == nil {
		data = abs
	}
	return host + ":" + data
}

// engineStarter starts executions for queue messages through the engine:
// Start returns once the execution is on disk.
type engineStarter struct{ e *engine.Engine }

func (s engineStarter) Start(ctx context.Context, req queue.StartRequest) (string, bool, error) {
	st, err := s.e.Start(ctx, engine.StartRequest{
		Workflow: req.Workflow, Input: req.Input, Trigger: weft.TriggerQueue,
		Dedupe: &store.DedupeKey{Scope: req.DedupeScope, Key: req.DedupeKey, ExpiresAt: req.DedupeUntil},
	})
	if err != nil {
		return "", false, err
	}
	return st.Execution.ID, st.Duplicate, nil
}

// queueWorkflows lists the enabled workflows that have queue bindings.
func queueWorkflows(ctx context.Context, eng *engine.Engine, st store.Store, logger *slog.Logger) ([]queue.Workflow, error) {
	var out []queue.Workflow
	page := store.Page{Limit: 500}
	for {
		recs, next, err := st.ListWorkflows(ctx, page)
		if err != nil {
			return nil, fmt.Errorf("listing workflows: %w", err)
		}
		for _, rec := range recs {
			if !rec.Enabled {
				continue
			}
			r, c, err := eng.Compiled(ctx, rec.Name)
			if err != nil {
				logger.Warn("skipping queue triggers of a workflow that does not compile", "workflow", rec.Name, "err", err)
				continue
			}
			wf := c.Workflow
			if !wf.IsEnabled() || len(wf.On.Queue) == 0 {
				continue
			}
			out = append(out, queue.Workflow{Name: r.Name, Version: r.Version, Concurrency: wf.Concurrency, Queue: wf.On.Queue})
		}
		if next == "" {
			return out, nil
		}
		page.Cursor = next
	}
}
