package queue

import (
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Health states.
const (
	StatusOK         = "ok"
	StatusConnecting = "connecting"
	StatusError      = "error"
)

// Health is one binding's state, as GET /api/v1/triggers shows it.
type Health struct {
	Kind       string `json:"kind"` // "queue"
	Workflow   string `json:"workflow"`
	Index      int    `json:"index"`
	Broker     string `json:"broker"`
	Connection string `json:"connection"`
	// Target is what is consumed: "queue orders", "stream events"…
	Target string `json:"target"`
	// Status is ok (connected, no failure since), connecting (never
	// connected yet, no error) or error (disconnected after a failure, or
	// the last start failed).
	Status         string     `json:"status"`
	Connected      bool       `json:"connected"`
	ConnectedSince *time.Time `json:"connected_since,omitempty"`
	LastMessageAt  *time.Time `json:"last_message_at,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastErrorAt    *time.Time `json:"last_error_at,omitempty"`
	Reconnects     int64      `json:"reconnects"`
	// Lag is how many messages wait at the broker; null when the broker
	// does not say.
	Lag      *int64           `json:"lag"`
	InFlight int              `json:"in_flight"`
	Messages map[string]int64 `json:"messages"`
	// Cursor is where a mailbox trigger (kind imap) stands.
	Cursor string `json:"cursor,omitempty"`
}

type health struct {
	mu sync.Mutex
	h  Health
	m  *Metrics
	// failing is set while the last event was a failure.
	failing bool
}

func newHealth(workflow string, index int, t weft.QueueTrigger, m *Metrics) *health {
	h := &health{m: m, h: Health{
		Kind: "queue", Workflow: workflow, Index: index, Broker: t.Broker, Connection: t.Connection,
		Target: target(t), Messages: map[string]int64{},
	}}
	m.setConnected(workflow, t.Broker, false)
	return h
}

// target names what a binding consumes, from its first required key.
func target(t weft.QueueTrigger) string {
	for _, f := range spec.Fields(t.Broker) {
		if !f.Required {
			continue
		}
		switch f.Type {
		case step.Array:
			return f.Name + " " + joinList(spec.Strings(t.Options, f.Name))
		default:
			return f.Name + " " + spec.String(t.Options, f.Name)
		}
	}
	return ""
}

func joinList(l []string) string {
	out := ""
	for i, s := range l {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

func (h *health) connected(now time.Time) {
	h.mu.Lock()
	h.h.Connected = true
	h.h.ConnectedSince = &now
	h.failing = false
	h.mu.Unlock()
	h.m.setConnected(h.h.Workflow, h.h.Broker, true)
}

func (h *health) disconnected(err error, now time.Time) {
	h.mu.Lock()
	h.h.Connected = false
	h.h.ConnectedSince = nil
	h.h.LastError = err.Error()
	h.h.LastErrorAt = &now
	h.h.Reconnects++
	h.failing = true
	h.mu.Unlock()
	h.m.setConnected(h.h.Workflow, h.h.Broker, false)
	h.m.reconnect(h.h.Workflow, h.h.Broker)
}

func (h *health) failed(err error, now time.Time) {
	h.mu.Lock()
	h.h.LastError = err.Error()
	h.h.LastErrorAt = &now
	h.failing = true
	h.mu.Unlock()
}

func (h *health) message(now time.Time) {
	h.mu.Lock()
	h.h.LastMessageAt = &now
	h.mu.Unlock()
}

func (h *health) outcome(o string) {
	h.mu.Lock()
	h.h.Messages[o]++
	if o == "started" || o == "duplicate" {
		h.failing = false
	}
	h.mu.Unlock()
	h.m.message(h.h.Workflow, h.h.Broker, o)
}

func (h *health) lag(n int64) {
	h.mu.Lock()
	if n < 0 {
		h.h.Lag = nil
	} else {
		h.h.Lag = &n
	}
	h.mu.Unlock()
	h.m.setLag(h.h.Workflow, h.h.Broker, n)
}

func (h *health) inFlight(d int) {
	h.mu.Lock()
	h.h.InFlight += d
	h.mu.Unlock()
}

func (h *health) forget() { h.m.forget(h.h.Workflow, h.h.Broker) }

func (h *health) snapshot(time.Time) Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.h
	out.Messages = make(map[string]int64, len(h.h.Messages))
	for k, v := range h.h.Messages {
		out.Messages[k] = v
	}
	if h.h.Lag != nil {
		l := *h.h.Lag
		out.Lag = &l
	}
	switch {
	case h.failing:
		out.Status = StatusError
	case h.h.Connected:
		out.Status = StatusOK
	default:
		out.Status = StatusConnecting
	}
	return out
}
