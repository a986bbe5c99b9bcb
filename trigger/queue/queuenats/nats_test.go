package queuenats_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuenats"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

type bundle struct {
	url, stream, subject string
	js                   jetstream.JetStream
}

// setup creates a fresh stream on WEFT_TEST_NATS_URL, deleted at the end.
func setup(t *testing.T) *bundle {
	t.Helper()
	u := os.Getenv("WEFT_TEST_NATS_URL")
	if u == "" {
		t.Skip("WEFT_TEST_NATS_URL is not set (like nats://127.0.0.1:4222)")
	}
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	sfx := queuetest.Suffix()
	b := &bundle{url: u, stream: "WEFT_TEST_" + strings.ToUpper(sfx), subject: "weft.test." + sfx, js: js}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: b.stream, Subjects: []string{b.subject + ".>"}, Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), b.stream); nc.Close() })
	return b
}

func (b *bundle) publish(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := b.js.Publish(context.Background(), fmt.Sprintf("%s.orders", b.subject), []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
}

// pending is what the consumer has not had acknowledged yet.
func (b *bundle) pending(t *testing.T, consumer string) int {
	t.Helper()
	c, err := b.js.Consumer(context.Background(), b.stream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.NumPending) + info.NumAckPending
}

func cred(u string) step.Credential {
	return step.Credential{Type: "nats", Data: map[string]string{"url": u}}
}

func TestIntegrationNATSConsumesOncePerMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publish(t, 0, 300)
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queuenats.Broker{}, cred(b.url), st, queuetest.Binding("orders", "nats", map[string]any{"stream": b.stream, "ack_wait": "30s"}))
	queuetest.Eventually(t, 30*time.Second, "300 executions", func() bool { return st.Count() == 300 })
	queuetest.Eventually(t, 20*time.Second, "everything acked", func() bool { return b.pending(t, "weft-orders") == 0 })
	h := queuetest.Health(m)
	if h.Status != queue.StatusOK || h.Lag == nil || *h.Lag != 0 || h.Messages["started"] != 300 {
		t.Errorf("health = %+v", h)
	}
	found := false
	for _, in := range st.Executions() {
		if strings.Contains(string(in), `"message_id":"`+b.stream+`:1"`) {
			found = strings.Contains(string(in), `"body":{"n":0}`) && strings.Contains(string(in), `"subject":"`+b.subject+`.orders"`)
		}
	}
	if !found {
		t.Errorf("no execution of stream sequence 1 with its body and subject: %s", st.Executions()[0])
	}
}

// Nothing is acked while the store fails; after it recovers every message
// becomes one execution.
func TestIntegrationNATSAcksOnlyAfterCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publish(t, 0, 20)
	st := queuetest.NewStarter()
	st.SetFail(fmt.Errorf("disk full"))
	m := queuetest.Run(t, queuenats.Broker{}, cred(b.url), st, queuetest.Binding("orders", "nats", map[string]any{"stream": b.stream, "ack_wait": "30s"}))
	queuetest.Eventually(t, 20*time.Second, "an error in health", func() bool { return queuetest.Health(m).Status == queue.StatusError })
	if p := b.pending(t, "weft-orders"); p != 20 {
		t.Errorf("pending while failing = %d, want 20 (nothing acked)", p)
	}
	st.SetFail(nil)
	queuetest.Eventually(t, 30*time.Second, "20 executions", func() bool { return st.Count() == 20 })
	queuetest.Eventually(t, 20*time.Second, "everything acked", func() bool { return b.pending(t, "weft-orders") == 0 })
}

func TestIntegrationNATSReconnects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u, _ := url.Parse(b.url)
	proxy := queuetest.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queuenats.Broker{}, cred(u.String()), st, queuetest.Binding("orders", "nats", map[string]any{"stream": b.stream, "ack_wait": "2s"}))
	b.publish(t, 0, 200)
	queuetest.Eventually(t, 20*time.Second, "some executions", func() bool { return st.Count() > 20 })
	proxy.Restart(time.Second)
	b.publish(t, 200, 400)
	queuetest.Eventually(t, 30*time.Second, "400 executions", func() bool { return st.Count() == 400 })
	queuetest.Eventually(t, 20*time.Second, "reconnected and drained", func() bool {
		h := queuetest.Health(m)
		return h.Connected && h.Reconnects >= 1 && b.pending(t, "weft-orders") == 0
	})
	if h := queuetest.Health(m); h.LastError == "" {
		t.Errorf("health does not report the cut: %+v", h)
	}
}

// Publishing twice with one id stores one message (Nats-Msg-Id).
func TestIntegrationNATSPublishDedupes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := queuenats.NewPublisher()
	defer p.Close()
	pub := queue.Publication{Target: map[string]any{"subject": b.subject + ".out"}, Body: []byte(`{"a":1}`), ID: "exec-1/step/0"}
	first, err := p.Publish(context.Background(), cred(b.url), queuetest.Dial(), pub)
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.Publish(context.Background(), cred(b.url), queuetest.Dial(), pub)
	if err != nil {
		t.Fatal(err)
	}
	if first["duplicate"] != false || second["duplicate"] != true || first["sequence"] != second["sequence"] {
		t.Errorf("first %v second %v", first, second)
	}
	info, err := b.js.Stream(context.Background(), b.stream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("stream holds %d messages, want 1", n)
	}
}
