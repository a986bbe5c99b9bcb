package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type natsStream struct {
	url, stream, subject string
	js                   jetstream.JetStream
}

func newNATSStream(t testing.TB) *natsStream {
	u := envOrSkip(t, "WEFT_TEST_NATS_URL", "nats://127.0.0.1:4222")
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	sfx := randomSuffix()
	n := &natsStream{url: u, stream: "WEFT_E2E_" + strings.ToUpper(sfx), subject: "weft.e2e." + sfx, js: js}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: n.stream, Subjects: []string{n.subject}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), n.stream); nc.Close() })
	return n
}

func (n *natsStream) credential() map[string]any {
	return map[string]any{"type": "nats", "data": map[string]any{"url": n.url}}
}

func (n *natsStream) binding() string {
	return fmt.Sprintf("{ broker: nats, connection: broker, stream: %s, consumer: weft, prefetch: 64, ack_wait: 5s }", n.stream)
}

func (n *natsStream) publish(t testing.TB, from, to int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var acks []jetstream.PubAckFuture
	for i := from; i < to; i++ {
		f, err := n.js.PublishAsync(n.subject, []byte(fmt.Sprintf(`{"n":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		acks = append(acks, f)
	}
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("publish not acknowledged")
		}
	}
}

func (n *natsStream) pending(t testing.TB) int {
	t.Helper()
	c, err := n.js.Consumer(context.Background(), n.stream, "weft")
	if err != nil {
		return -1
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.NumPending) + info.NumAckPending
}

// TestQueueNATSKill9DuringBurst: 5,000 messages through JetStream, weft
// serve killed mid-burst and restarted: each is exactly one execution.
func TestQueueNATSKill9DuringBurst(t *testing.T) {
	t.Parallel()
	killDuringBurst(t, newNATSStream(t), 5000)
}

// TestQueueNATSTwoProcessesPostgres: two processes bind one durable
// consumer and share one database; one is killed mid-burst.
func TestQueueNATSTwoProcessesPostgres(t *testing.T) {
	t.Parallel()
	twoProcessesKillOne(t, newNATSStream(t), 3000)
}
