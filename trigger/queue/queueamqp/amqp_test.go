package queueamqp_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queueamqp"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

type bundle struct {
	url   string
	conn  *amqp.Connection
	ch    *amqp.Channel
	queue string
}

// setup connects to WEFT_TEST_AMQP_URL and declares a fresh durable queue
// (with a dead-letter queue) that is deleted when the test ends.
func setup(t *testing.T) *bundle {
	t.Helper()
	u := os.Getenv("WEFT_TEST_AMQP_URL")
	if u == "" {
		t.Skip("WEFT_TEST_AMQP_URL is not set (like amqp://guest:guest@127.0.0.1:5672/)")
	}
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q := "weft-test-" + queuetest.Suffix()
	if _, err := ch.QueueDeclare(q+".dead", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": q + ".dead",
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ch.QueueDelete(q, false, false, false)
		_, _ = ch.QueueDelete(q+".dead", false, false, false)
		_ = conn.Close()
	})
	return &bundle{url: u, conn: conn, ch: ch, queue: q}
}

func (b *bundle) publish(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		err := b.ch.PublishWithContext(context.Background(), "", b.queue, false, false, amqp.Publishing{
			MessageId: fmt.Sprintf("m-%d", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), DeliveryMode: amqp.Persistent,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (b *bundle) depth(t *testing.T, q string) int {
	t.Helper()
	ch, err := b.conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	info, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return info.Messages
}

func cred(u string) step.Credential {
	return step.Credential{Type: "amqp", Data: map[string]string{"url": u}}
}

// Every message becomes one execution, redelivered or republished copies
// (same message id) none, and every message is acknowledged.
func TestIntegrationRabbitMQConsumesOncePerMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publish(t, 0, 300)
	b.publish(t, 100, 150) // the same ids again: duplicates
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueamqp.Broker{}, cred(b.url), st, queuetest.Binding("orders", "rabbitmq", map[string]any{"queue": b.queue}))
	queuetest.Eventually(t, 30*time.Second, "300 executions", func() bool { return st.Count() == 300 })
	queuetest.Eventually(t, 30*time.Second, "an empty queue (all acked)", func() bool {
		h := queuetest.Health(m)
		return h.Messages["started"]+h.Messages["duplicate"] == 350 && h.InFlight == 0 && b.depth(t, b.queue) == 0
	})
	h := queuetest.Health(m)
	if h.Status != queue.StatusOK || !h.Connected || h.LastMessageAt == nil || h.Messages["duplicate"] != 50 {
		t.Errorf("health = %+v", h)
	}
	if st.Count() != 300 {
		t.Errorf("executions = %d, want 300", st.Count())
	}
	if !strings.Contains(string(st.Executions()[0]), `"body":{"n":`) || !strings.Contains(string(st.Executions()[0]), `"routing_key":"`+b.queue+`"`) {
		t.Errorf("input = %s", st.Executions()[0])
	}
}

// While executions cannot be written nothing is acknowledged: the messages
// stay in the queue, health says why, and they are consumed once the store
// is back.
func TestIntegrationRabbitMQAcksOnlyAfterCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publish(t, 0, 20)
	st := queuetest.NewStarter()
	st.SetFail(errors.New("disk full"))
	m := queuetest.Run(t, queueamqp.Broker{}, cred(b.url), st, queuetest.Binding("orders", "rabbitmq", map[string]any{"queue": b.queue}))
	queuetest.Eventually(t, 20*time.Second, "an error in health", func() bool { return queuetest.Health(m).Status == queue.StatusError })
	if h := queuetest.Health(m); !strings.Contains(h.LastError, "disk full") || h.Messages["requeued"] == 0 {
		t.Errorf("health = %+v", h)
	}
	if st.Count() != 0 {
		t.Fatalf("executions = %d while the store fails", st.Count())
	}
	// Nothing was acked: all 20 come back once the store does.
	st.SetFail(nil)
	queuetest.Eventually(t, 30*time.Second, "20 executions after recovery", func() bool { return st.Count() == 20 })
	queuetest.Eventually(t, 20*time.Second, "the queue drained", func() bool { return b.depth(t, b.queue) == 0 })
	if h := queuetest.Health(m); h.Status != queue.StatusOK {
		t.Errorf("health after recovery = %+v", h)
	}
}

// A connection cut mid-stream: the trigger reports it, reconnects with
// backoff, and every message still becomes exactly one execution.
func TestIntegrationRabbitMQReconnects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u, _ := url.Parse(b.url)
	proxy := queuetest.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueamqp.Broker{}, cred(u.String()), st, queuetest.Binding("orders", "rabbitmq", map[string]any{"queue": b.queue}))
	b.publish(t, 0, 200)
	queuetest.Eventually(t, 20*time.Second, "some executions", func() bool { return st.Count() > 20 })
	proxy.Restart(time.Second)
	b.publish(t, 200, 400)
	queuetest.Eventually(t, 30*time.Second, "400 executions", func() bool { return st.Count() == 400 })
	queuetest.Eventually(t, 20*time.Second, "reconnected and drained", func() bool {
		h := queuetest.Health(m)
		return h.Connected && h.Reconnects >= 1 && b.depth(t, b.queue) == 0
	})
	h := queuetest.Health(m)
	if h.LastError == "" || h.LastErrorAt == nil {
		t.Errorf("health does not report the cut: %+v", h)
	}
	if st.Count() != 400 {
		t.Errorf("executions = %d, want 400", st.Count())
	}
}

// A message over max_message_bytes is refused to the dead-letter queue.
func TestIntegrationRabbitMQDeadLettersRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.ch.PublishWithContext(context.Background(), "", b.queue, false, false, amqp.Publishing{MessageId: "big", Body: []byte(strings.Repeat("x", 2048))}); err != nil {
		t.Fatal(err)
	}
	b.publish(t, 0, 1)
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueamqp.Broker{}, cred(b.url), st, queuetest.Binding("orders", "rabbitmq", map[string]any{"queue": b.queue, "max_message_bytes": 1024}))
	queuetest.Eventually(t, 20*time.Second, "the big message dead-lettered", func() bool { return b.depth(t, b.queue+".dead") == 1 })
	queuetest.Eventually(t, 20*time.Second, "one execution", func() bool { return st.Count() == 1 })
	if h := queuetest.Health(m); h.Messages["dead_lettered"] != 1 {
		t.Errorf("health = %+v", h)
	}
}

// queue.publish's publisher waits for the confirm; the id is the message id.
func TestIntegrationRabbitMQPublishConfirms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := queueamqp.NewPublisher()
	defer p.Close()
	out, err := p.Publish(context.Background(), cred(b.url), queuetest.Dial(), queue.Publication{Target: map[string]any{"routing_key": b.queue}, Body: []byte(`{"a":1}`), ID: "key-1"})
	if err != nil {
		t.Fatal(err)
	}
	if out["confirmed"] != true {
		t.Errorf("out = %v", out)
	}
	d, ok, err := b.ch.Get(b.queue, true)
	if err != nil || !ok || d.MessageId != "key-1" || string(d.Body) != `{"a":1}` || d.ContentType != "application/json" {
		t.Errorf("got %+v ok=%v err=%v", d, ok, err)
	}
}
