package queue_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

// sessionBroker hands out consumers that hold one broker session each, like
// MQTT's client id: it records how many consume at once, and which
// credential each was built with (its "rotation").
type sessionBroker struct {
	active, most atomic.Int32
	mu           sync.Mutex
	built        []string // the credential's rotation of each consumer, in order
}

func (*sessionBroker) Name() string           { return "session" }
func (*sessionBroker) CredentialType() string { return "session" }
func (b *sessionBroker) Consumer(bind queue.Binding) (queue.Consumer, error) {
	b.mu.Lock()
	b.built = append(b.built, bind.Credential.Data["rotation"])
	b.mu.Unlock()
	return sessionConsumer{b}, nil
}

func (b *sessionBroker) consumers() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.built...)
}

type sessionConsumer struct{ b *sessionBroker }

func (c sessionConsumer) Consume(ctx context.Context, sink queue.Sink) error {
	n := c.b.active.Add(1)
	for m := c.b.most.Load(); n > m && !c.b.most.CompareAndSwap(m, n); m = c.b.most.Load() {
	}
	sink.Connected()
	<-ctx.Done()
	// A stop takes a while (acknowledgements drain, the client
	// disconnects): the session is still held meanwhile.
	time.Sleep(100 * time.Millisecond)
	c.b.active.Add(-1)
	return nil
}

// A binding rebuilt for a new credential starts its new consumer only once
// the old one has stopped: never two sessions of one binding at once, and
// concurrent refreshes start it once.
func TestRebuiltBindingNeverConsumesBesideItsPredecessor(t *testing.T) {
	t.Parallel()
	b := &sessionBroker{}
	conns := &queuetest.Rotating{Creds: queuetest.Creds{C: step.Credential{Type: "session"}}}
	conns.Rotate("one")
	m, err := queue.New(queue.Config{
		Starter: queuetest.NewStarter(),
		Workflows: func(context.Context) ([]queue.Workflow, error) {
			return []queue.Workflow{queuetest.Binding("orders", "session", nil)}, nil
		},
		Connections: conns, Brokers: []queue.Broker{b},
		Refresh: time.Hour, Owner: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	queuetest.Eventually(t, 10*time.Second, "the first consumer", func() bool { return b.active.Load() == 1 })

	for i, v := range []string{"two", "three", "four"} {
		conns.Rotate(v)
		// Several refreshes at once (the ticker's, the API's…).
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); _ = m.Refresh(ctx) }()
		}
		wg.Wait()
		queuetest.Eventually(t, 10*time.Second, "the rebuilt consumer", func() bool {
			got := b.consumers()
			return len(got) == i+2 && got[i+1] == v && b.active.Load() == 1
		})
	}
	if most := b.most.Load(); most != 1 {
		t.Errorf("%d consumers of one binding ran at once, want 1", most)
	}
	if got := b.consumers(); len(got) != 4 {
		t.Errorf("consumers built: %v, want one per credential", got)
	}
}
