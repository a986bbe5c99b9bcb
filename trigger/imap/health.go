package imap

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/weftworks/weft/trigger/queue"
)

// health is one watcher's state, shown as a queue.Health of kind "imap".
type health struct {
	mu sync.Mutex
	h  queue.Health
}

func newHealth(wf string, index int, conn, mailbox string) *health {
	return &health{h: queue.Health{Kind: "imap", Workflow: wf, Index: index, Broker: "imap", Connection: conn,
		Target: "mailbox " + mailbox, Status: queue.StatusConnecting, Messages: map[string]int64{}}}
}

func (h *health) connected(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.h.Status, h.h.Connected, h.h.ConnectedSince = queue.StatusOK, true, &now
}

func (h *health) failed(now time.Time, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.Connected {
		h.h.Reconnects++
	}
	h.h.Status, h.h.Connected, h.h.ConnectedSince = queue.StatusError, false, nil
	h.h.LastError, h.h.LastErrorAt = err.Error(), &now
}

func (h *health) cursor(validity, uid uint32, pending int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.h.Cursor = fmt.Sprintf("uidvalidity %d, uid %d", validity, uid)
	h.h.Lag = &pending
}

func (h *health) message(now time.Time, outcome string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.h.Messages[outcome]++
	if outcome == "started" {
		h.h.LastMessageAt = &now
	}
}

func (h *health) snapshot() queue.Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.h
	out.Messages = make(map[string]int64, len(h.h.Messages))
	for k, v := range h.h.Messages {
		out.Messages[k] = v
	}
	return out
}

// Health returns the mailbox triggers this process watches, by workflow
// and index. A trigger watched by another process is not listed here.
func (m *Manager) Health() []queue.Health {
	m.mu.Lock()
	out := make([]queue.Health, 0, len(m.watchers))
	for _, w := range m.watchers {
		if w.holding.Load() {
			out = append(out, w.health.snapshot())
		}
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
