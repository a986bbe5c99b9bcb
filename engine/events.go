package engine

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/weftworks/weft"
)

// Event is a change to an execution, published to subscribers (the SSE
// endpoint) as it happens in this process.
type Event struct {
	Type      string          `json:"type"` // "execution", "step" or "step.progress"
	Execution *weft.Execution `json:"execution,omitempty"`
	Step      *weft.StepRun   `json:"step,omitempty"`
	Progress  *Progress       `json:"progress,omitempty"`
}

// Progress is what a running step emitted (an AI token delta, say). It is
// live only: not stored.
type Progress struct {
	StepID string `json:"step_id"`
	Item   int    `json:"item"`
	Kind   string `json:"kind"`
	Data   any    `json:"data"`
}

// broker fans out events and sync-webhook responses per execution id.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[chan Event]struct{}
	// nsubs counts the channels in subs. Without subscribers (most of the
	// time) hasSubscribers answers from it, and the several events of
	// every execution cost no lock.
	nsubs    atomic.Int64
	respond  map[string]chan json.RawMessage
	finished map[string][]chan struct{}
}

func newBroker() *broker {
	return &broker{
		subs:     map[string]map[chan Event]struct{}{},
		respond:  map[string]chan json.RawMessage{},
		finished: map[string][]chan struct{}{},
	}
}

func (b *broker) subscribe(id string) (chan Event, func()) {
	ch := make(chan Event, 64)
	b.mu.Lock()
	if b.subs[id] == nil {
		b.subs[id] = map[chan Event]struct{}{}
	}
	b.subs[id][ch] = struct{}{}
	b.nsubs.Add(1)
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		if _, ok := b.subs[id][ch]; ok {
			b.nsubs.Add(-1)
		}
		delete(b.subs[id], ch)
		if len(b.subs[id]) == 0 {
			delete(b.subs, id)
		}
		b.mu.Unlock()
	}
}

// publish never blocks: a subscriber that does not keep up misses events and
// re-reads the execution from the store (the SSE handler does).
func (b *broker) publish(id string, ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[id] {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (b *broker) hasSubscribers(id string) bool {
	if b.nsubs.Load() == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[id]) > 0
}

func (b *broker) expectResponse(id string) chan json.RawMessage {
	ch := make(chan json.RawMessage, 1)
	b.mu.Lock()
	b.respond[id] = ch
	b.mu.Unlock()
	return ch
}

func (b *broker) dropResponse(id string) {
	b.mu.Lock()
	delete(b.respond, id)
	b.mu.Unlock()
}

func (b *broker) deliverResponse(id string, resp json.RawMessage) {
	b.mu.Lock()
	ch := b.respond[id]
	delete(b.respond, id)
	b.mu.Unlock()
	if ch != nil {
		ch <- resp
	}
}

// waitFinished returns a channel closed when the execution finishes in this
// process.
func (b *broker) waitFinished(id string) (chan struct{}, func()) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.finished[id] = append(b.finished[id], ch)
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		list := b.finished[id]
		for i, c := range list {
			if c == ch {
				b.finished[id] = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(b.finished[id]) == 0 {
			delete(b.finished, id)
		}
		b.mu.Unlock()
	}
}

func (b *broker) finish(id string) {
	b.mu.Lock()
	list := b.finished[id]
	delete(b.finished, id)
	ch := b.respond[id]
	delete(b.respond, id)
	b.mu.Unlock()
	for _, c := range list {
		close(c)
	}
	if ch != nil {
		close(ch)
	}
}

// abandonResponse closes a pending response channel: this process will not
// produce the response (the execution was parked or taken over), so the
// caller answers 202 with the execution id at once.
func (b *broker) abandonResponse(id string) {
	b.mu.Lock()
	ch := b.respond[id]
	delete(b.respond, id)
	b.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}
