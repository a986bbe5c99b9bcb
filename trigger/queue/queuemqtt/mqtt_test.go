package queuemqtt_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuemqtt"
	"github.com/weftworks/weft/trigger/queue/queuetest"
	"github.com/weftworks/weft/trigger/queue/spec"
)

type bundle struct {
	addr, topic string
	pub         *queuemqtt.Publisher
}

// setup gives each test its own topic on WEFT_TEST_MQTT_ADDR (retained
// nothing, so nothing to clean but the publisher).
func setup(t *testing.T) *bundle {
	t.Helper()
	addr := os.Getenv("WEFT_TEST_MQTT_ADDR")
	if addr == "" {
		t.Skip("WEFT_TEST_MQTT_ADDR is not set (like 127.0.0.1:1883)")
	}
	b := &bundle{addr: addr, topic: "weft/test/" + queuetest.Suffix(), pub: queuemqtt.NewPublisher()}
	t.Cleanup(func() { _ = b.pub.Close() })
	return b
}

func cred(addr string) step.Credential {
	return step.Credential{Name: "broker", Type: "mqtt", Data: map[string]string{"url": "mqtt://" + addr}}
}

// publish sends messages n in [from, to) with QoS 1; with ids, each
// carries the message-id user property "m-<n>", else none (the hash
// fallback identifies it).
func (b *bundle) publish(t *testing.T, from, to int, ids bool) {
	t.Helper()
	for i := from; i < to; i++ {
		p := queue.Publication{Target: map[string]any{"topic": b.topic + "/orders"}, Body: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		if ids {
			p.ID = fmt.Sprintf("m-%d", i)
		}
		if _, err := b.pub.Publish(context.Background(), cred(b.addr), queuetest.Dial(), p); err != nil {
			t.Fatal(err)
		}
	}
}

// run consumes the binding as process node; stop ends it (the broker keeps
// its session).
func run(t *testing.T, node string, c step.Credential, st queue.Starter, wf queue.Workflow) (*queue.Manager, func()) {
	t.Helper()
	return runWith(t, node, queuetest.Creds{C: c, Allow: queuetest.Loopback}, st, wf)
}

// runWith is run with connections of the test's own.
func runWith(t *testing.T, node string, conns step.Connections, st queue.Starter, wf queue.Workflow) (*queue.Manager, func()) {
	t.Helper()
	m, err := queue.New(queue.Config{
		Starter:     st,
		Workflows:   func(context.Context) ([]queue.Workflow, error) { return []queue.Workflow{wf}, nil },
		Connections: conns, Brokers: []queue.Broker{queuemqtt.Broker{}},
		Refresh: time.Hour, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Owner: "test-" + queuetest.Suffix(), Node: node,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return m, stop
}

func (b *bundle) binding(extra map[string]any) queue.Workflow {
	opts := map[string]any{"topic": b.topic + "/#", "session_expiry": "5m"}
	for k, v := range extra {
		opts[k] = v
	}
	return queuetest.Binding("orders", "mqtt", opts)
}

func connected(t *testing.T, m *queue.Manager) {
	t.Helper()
	queuetest.Eventually(t, 20*time.Second, "the subscription", func() bool { return queuetest.Health(m).Connected })
}

// drained checks what the session of node still holds after a clean stop:
// a new consumer on it (same client id, same persistent session) may be sent
// again the last messages whose acknowledgements the broker had not taken
// when the connection closed (mosquitto drops PUBACKs it has not read from a
// closing connection), but no more than were in flight (prefetch, the
// receive maximum), and each of them is a duplicate of a stored execution:
// nothing new, nothing lost, nothing run twice.
func drained(t *testing.T, b *bundle, node string, wf queue.Workflow, st *queuetest.Starter) {
	t.Helper()
	before := st.Count()
	again := &countingStarter{Starter: st}
	m, stop := run(t, node, cred(b.addr), again, wf)
	connected(t, m)
	time.Sleep(time.Second)
	stop()
	if n := st.Count(); n != before {
		t.Errorf("the session held %d messages that were never stored (%d executions, then %d)", n-before, before, n)
	}
	if n := again.calls.Load(); n > int64(spec.DefaultPrefetch) {
		t.Errorf("the session sent %d messages again after a clean stop, more than the %d in flight at most", n, spec.DefaultPrefetch)
	} else if n > 0 {
		t.Logf("%d messages sent again after a clean stop (deduped)", n)
	}
}

// slowStarter takes d for each start.
type slowStarter struct {
	*queuetest.Starter
	d time.Duration
}

func (s *slowStarter) Start(ctx context.Context, req queue.StartRequest) (string, bool, error) {
	time.Sleep(s.d)
	return s.Starter.Start(ctx, req)
}

// countingStarter counts the starts asked of a Starter.
type countingStarter struct {
	*queuetest.Starter
	calls atomic.Int64
}

func (c *countingStarter) Start(ctx context.Context, req queue.StartRequest) (string, bool, error) {
	c.calls.Add(1)
	return c.Starter.Start(ctx, req)
}

func TestIntegrationMQTTConsumesOncePerMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := queuetest.NewStarter()
	node := "node-" + queuetest.Suffix()
	wf := b.binding(nil)
	m, stop := run(t, node, cred(b.addr), st, wf)
	connected(t, m)
	b.publish(t, 0, 300, false)
	queuetest.Eventually(t, 30*time.Second, "300 executions", func() bool { return st.Count() == 300 })
	h := queuetest.Health(m)
	if h.Status != queue.StatusOK || h.Messages["started"] != 300 || h.Broker != "mqtt" {
		t.Errorf("health = %+v", h)
	}
	found := false
	for _, in := range st.Executions() {
		s := string(in)
		if strings.Contains(s, `"body":{"n":0}`) {
			found = strings.Contains(s, `"topic":"`+b.topic+`/orders"`) && strings.Contains(s, `"message_id":"sha256:`) && strings.Contains(s, `"qos":1`)
		}
	}
	if !found {
		t.Errorf("no execution of message 0 with its topic, qos and a hash id: %s", st.Executions()[0])
	}
	stop()
	drained(t, b, node, wf, st)
}

// Nothing is acknowledged while the store fails; once it recovers every
// message becomes one execution and the session holds nothing more.
func TestIntegrationMQTTAcksOnlyAfterCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := queuetest.NewStarter()
	st.SetFail(fmt.Errorf("disk full"))
	node := "node-" + queuetest.Suffix()
	wf := b.binding(map[string]any{"qos": 2})
	m, stop := run(t, node, cred(b.addr), st, wf)
	connected(t, m)
	b.publish(t, 0, 20, true)
	queuetest.Eventually(t, 20*time.Second, "an error in health", func() bool {
		return queuetest.Health(m).Messages["requeued"] >= 3
	})
	if n := st.Count(); n != 0 {
		t.Fatalf("%d executions while the store fails", n)
	}
	st.SetFail(nil)
	queuetest.Eventually(t, 30*time.Second, "20 executions", func() bool { return st.Count() == 20 })
	time.Sleep(500 * time.Millisecond)
	if n := st.Count(); n != 20 {
		t.Errorf("%d executions, want 20", n)
	}
	stop()
	drained(t, b, node, wf, st)
}

// A binding rebuilt while messages flow (its credential updated three times
// mid-stream) keeps its session: the new client takes it over only after the
// old one left, and every message becomes one execution. Started beside the
// old client, the new one fought it for the client id, and the session the
// broker moved between them stalled (600 published, 23 started in a minute).
func TestIntegrationMQTTRebuiltBindingKeepsConsuming(t *testing.T) {
	t.Parallel()
	const total = 600
	b := setup(t)
	st := queuetest.NewStarter()
	// Executions take a while, as under load: a stopping client holds its
	// session until the ones in flight are stored.
	slow := &slowStarter{Starter: st, d: 20 * time.Millisecond}
	conns := &queuetest.Rotating{Creds: queuetest.Creds{C: cred(b.addr), Allow: queuetest.Loopback}}
	conns.Rotate("0")
	m, _ := runWith(t, "node-"+queuetest.Suffix(), conns, slow, b.binding(nil))
	connected(t, m)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for n := 0; n < total; n += 50 {
			b.publish(t, n, n+50, false)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for i := 1; i <= 3; i++ {
		queuetest.Eventually(t, 30*time.Second, fmt.Sprintf("%d executions", i*total/5), func() bool { return st.Count() >= i*total/5 })
		conns.Rotate(fmt.Sprint(i))
		if err := m.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	<-published
	queuetest.Eventually(t, 30*time.Second, fmt.Sprintf("%d executions", total), func() bool { return st.Count() == total })
	queuetest.Eventually(t, 10*time.Second, "the rebuilt binding connected", func() bool {
		h := queuetest.Health(m)
		return h.Connected && h.Status == queue.StatusOK
	})
}

func TestIntegrationMQTTReconnects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	proxy := queuetest.NewProxy(t, b.addr)
	st := queuetest.NewStarter()
	m, _ := run(t, "node-"+queuetest.Suffix(), cred(proxy.Addr()), st, b.binding(nil))
	connected(t, m)
	b.publish(t, 0, 200, true)
	queuetest.Eventually(t, 20*time.Second, "some executions", func() bool { return st.Count() > 20 })
	proxy.Restart(time.Second)
	b.publish(t, 200, 400, true)
	queuetest.Eventually(t, 30*time.Second, "400 executions", func() bool { return st.Count() == 400 })
	queuetest.Eventually(t, 20*time.Second, "reconnected", func() bool {
		h := queuetest.Health(m)
		return h.Connected && h.Reconnects >= 1 && h.Status == queue.StatusOK
	})
	if h := queuetest.Health(m); h.LastError == "" {
		t.Errorf("health does not report the cut: %+v", h)
	}
}

// A shared subscription: two processes of one group split the messages,
// and each message is one execution.
func TestIntegrationMQTTSharedSubscription(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := queuetest.NewStarter()
	wf := b.binding(nil)
	m1, _ := run(t, "node-a-"+queuetest.Suffix(), cred(b.addr), st, wf)
	m2, _ := run(t, "node-b-"+queuetest.Suffix(), cred(b.addr), st, wf)
	connected(t, m1)
	connected(t, m2)
	b.publish(t, 0, 200, true)
	queuetest.Eventually(t, 30*time.Second, "200 executions", func() bool { return st.Count() == 200 })
	a, c := queuetest.Health(m1).Messages, queuetest.Health(m2).Messages
	if a["started"] == 0 || c["started"] == 0 || a["started"]+c["started"]+a["duplicate"]+c["duplicate"] != 200 {
		t.Errorf("messages by process: %v and %v; want both to get some, 200 in all", a, c)
	}
}

// queue.publish's publisher waits for PUBACK (QoS 1) and PUBCOMP (QoS 2);
// the message id travels as the message-id user property, so a consuming
// Weft starts one execution for a repeated publish.
func TestIntegrationMQTTPublishes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	st := queuetest.NewStarter()
	m, _ := run(t, "node-"+queuetest.Suffix(), cred(b.addr), st, b.binding(nil))
	connected(t, m)
	for _, qos := range []int{1, 2, 1} {
		out, err := b.pub.Publish(context.Background(), cred(b.addr), queuetest.Dial(), queue.Publication{
			Target: map[string]any{"topic": b.topic + "/paid", "qos": qos}, Body: []byte(`{"a":1}`), ID: "key-1",
			Headers: map[string]string{"source": "test"}})
		if err != nil {
			t.Fatal(err)
		}
		if out["confirmed"] != true || out["qos"] != qos || out["message_id"] != "key-1" {
			t.Errorf("output = %v", out)
		}
	}
	queuetest.Eventually(t, 20*time.Second, "the duplicates to be seen", func() bool {
		return queuetest.Health(m).Messages["duplicate"] == 2
	})
	if n := st.Count(); n != 1 {
		t.Fatalf("%d executions of one message id, want 1", n)
	}
	in := string(st.Executions()[0])
	if !strings.Contains(in, `"message_id":"key-1"`) || !strings.Contains(in, `"source":"test"`) || !strings.Contains(in, `"content_type":"application/json"`) {
		t.Errorf("execution input = %s", in)
	}
	if _, err := b.pub.Publish(context.Background(), cred(b.addr), queuetest.Dial(), queue.Publication{
		Target: map[string]any{"topic": b.topic, "qos": 0}, Body: []byte(`x`)}); err == nil || !strings.Contains(err.Error(), "use 1 or 2") {
		t.Errorf("qos 0: err = %v", err)
	}
}
