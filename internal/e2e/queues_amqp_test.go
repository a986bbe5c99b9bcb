package e2e

import (
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

type rabbit struct {
	url, queue string
	ch         *amqp.Channel
}

func newRabbit(t testing.TB) *rabbit {
	u := envOrSkip(t, "WEFT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	r := &rabbit{url: u, queue: "weft-e2e-" + randomSuffix(), ch: ch}
	if _, err := ch.QueueDeclare(r.queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = ch.QueueDelete(r.queue, false, false, false); _ = conn.Close() })
	return r
}

func (r *rabbit) credential() map[string]any {
	return map[string]any{"type": "amqp", "data": map[string]any{"url": r.url}}
}

func (r *rabbit) binding() string {
	return fmt.Sprintf("{ broker: rabbitmq, connection: broker, queue: %s, prefetch: 64 }", r.queue)
}

func (r *rabbit) publish(t testing.TB, from, to int) {
	t.Helper()
	ctx, cancel := ctxFor(60e9)
	defer cancel()
	var dcs []*amqp.DeferredConfirmation
	for i := from; i < to; i++ {
		dc, err := r.ch.PublishWithDeferredConfirmWithContext(ctx, "", r.queue, false, false, amqp.Publishing{
			MessageId: fmt.Sprintf("m-%d", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), DeliveryMode: amqp.Persistent,
		})
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	for _, dc := range dcs {
		if ok, err := dc.WaitContext(ctx); !ok || err != nil {
			t.Fatalf("publish not confirmed: %v", err)
		}
	}
}

func (r *rabbit) pending(t testing.TB) int {
	t.Helper()
	// Ready messages; unacknowledged ones are counted by the broker too
	// once their consumer's connection is gone, and the running consumer
	// acks what it has before the test counts executions again.
	q, err := r.ch.QueueDeclarePassive(r.queue, true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return q.Messages
}

// TestQueueRabbitMQKill9DuringBurst: 5,000 messages, weft serve killed
// mid-burst and restarted: each message is exactly one execution.
func TestQueueRabbitMQKill9DuringBurst(t *testing.T) {
	t.Parallel()
	killDuringBurst(t, newRabbit(t), 5000)
}

// TestQueueRabbitMQTwoProcessesPostgres: two processes share the queue and
// one database; one is killed mid-burst; no message runs twice.
func TestQueueRabbitMQTwoProcessesPostgres(t *testing.T) {
	t.Parallel()
	twoProcessesKillOne(t, newRabbit(t), 3000)
}
