package e2e

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuemqtt"
)

// mosquittoQueueLimit keeps the test's backlog under Mosquitto's default
// max_queued_messages (1000), past which the broker itself drops QoS 1
// messages for a session: the test measures Weft, not that limit.
const mosquittoQueueLimit = 500

type mqttTopic struct {
	addr, topic string
	pub         *queuemqtt.Publisher
}

func newMQTTTopic(t testing.TB) *mqttTopic {
	addr := envOrSkip(t, "WEFT_TEST_MQTT_ADDR", "127.0.0.1:1883")
	m := &mqttTopic{addr: addr, topic: "weft/e2e/" + randomSuffix(), pub: queuemqtt.NewPublisher()}
	t.Cleanup(func() { _ = m.pub.Close() })
	return m
}

func (m *mqttTopic) credential() map[string]any {
	return map[string]any{"type": "mqtt", "data": map[string]any{"url": "mqtt://" + m.addr}}
}

func (m *mqttTopic) binding() string {
	return fmt.Sprintf("{ broker: mqtt, connection: broker, topic: %q, qos: 1, session_expiry: 10m, prefetch: 64 }", m.topic+"/#")
}

// publish sends {"n": i} with QoS 1 and no message-id property: the
// consumer identifies each message by the hash of topic and payload.
func (m *mqttTopic) publish(t testing.TB, from, to int) {
	t.Helper()
	cred := step.Credential{Name: "e2e", Type: "mqtt", Data: map[string]string{"url": "mqtt://" + m.addr}}
	dial := step.DialFunc((&net.Dialer{}).DialContext) // the test's own client, not Weft's
	for i := from; i < to; i++ {
		p := queue.Publication{Target: map[string]any{"topic": m.topic + "/orders"}, Body: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		if _, err := m.pub.Publish(context.Background(), cred, dial, p); err != nil {
			t.Fatal(err)
		}
	}
}

// connected waits until the server's MQTT trigger of workflow subscribed:
// MQTT drops messages published before any subscription exists.
func (s *server) queueConnected(t testing.TB, workflow string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var tl triggerList
		if code, err := s.api("GET", "/api/v1/triggers", nil, &tl); err == nil && code == 200 {
			for _, it := range tl.Items {
				if it.Workflow == workflow && it.Connected {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trigger of %s did not connect: %+v", workflow, tl)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQueueMQTTKill9DuringBurst: 2,000 QoS 1 messages on a shared
// subscription with a persistent session; weft serve is killed with
// SIGKILL mid-burst, messages keep arriving while it is down, and the
// restarted process (same client id: same host and data directory)
// resumes the session. Every message must be exactly one execution: an ack
// before the commit would lose the messages in flight at the kill, a
// missing dedupe would repeat those the broker sends again.
func TestQueueMQTTKill9DuringBurst(t *testing.T) {
	t.Parallel()
	const total, batch = 2000, 100
	m := newMQTTTopic(t)
	name := "queue-" + randomSuffix()
	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, name, fmt.Sprintf(queueWorkflow, name, m.binding()))
	args := []string{"--data", data, "--workflows", wfDir}
	srv := startServer(t, nil, args...)
	putCredential(t, srv, "broker", m.credential())
	// The binding started before its credential existed, so the next
	// workflow refresh (5 s) would rebuild it with the credential; on a
	// loaded machine that falls in the burst, and an MQTT binding rebuilt
	// or reconnected there was seen to receive nothing more (600
	// published, 90 started) even with the new client starting after the
	// old one left: an open fault of its own, not this test's subject. A
	// process that starts with the credential in place builds the binding
	// once; this test is about the kill below.
	srv.kill()
	srv = startServer(t, nil, args...)
	srv.queueConnected(t, name)

	// paced publishes messages from next on up to until, keeping the
	// backlog under the broker's queue limit; base is what earlier
	// processes started (health counts per process); stop says when to
	// return early.
	next := 0
	paced := func(s *server, base int64, until int, stop func() bool) {
		for next < until && !stop() {
			deadline := time.Now().Add(60 * time.Second)
			for int64(next)-base-s.started(name) > mosquittoQueueLimit-batch {
				if time.Now().After(deadline) {
					t.Fatalf("the consumer fell behind: %d published, %d started", next, base+s.started(name))
				}
				time.Sleep(5 * time.Millisecond)
			}
			to := min(next+batch, until)
			m.publish(t, next, to)
			next = to
		}
	}
	paced(srv, 0, total, func() bool { return srv.started(name) >= total/4 })
	before := srv.started(name)
	srv.kill()
	t.Logf("killed after %d of %d published messages became executions", before, next)
	// The session outlives the process: these wait at the broker for it.
	down := min(300, mosquittoQueueLimit-(next-int(before)))
	m.publish(t, next, next+max(down, 0))
	next += max(down, 0)

	srv = startServer(t, nil, args...)
	srv.queueConnected(t, name)
	paced(srv, before, total, func() bool { return false })
	deadline := time.Now().Add(120 * time.Second)
	for {
		got := executionInputs(t, srv, name)
		if len(got) == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %d distinct messages of %d became executions", len(got), total)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // let any stray redelivery show up
	got := executionInputs(t, srv, name)
	for n := 0; n < total; n++ {
		if got[n] != 1 {
			t.Errorf("message %d became %d executions, want 1", n, got[n])
		}
	}
	var tl triggerList
	if code, err := srv.api("GET", "/api/v1/triggers", nil, &tl); err != nil || code != 200 || len(tl.Items) != 1 || tl.Items[0].Status != "ok" || tl.Unhealthy != 0 {
		t.Errorf("triggers after restart: %d %v %+v", code, err, tl)
	}
}

// BenchmarkQueueMQTT: like the other queue benchmarks, but MQTT drops
// messages published before a subscription exists and Mosquitto caps a
// session's backlog, so the messages are published while the consumer
// runs, kept under mosquittoQueueLimit; the clock runs from the first
// execution until b.N are stored and acknowledged.
func BenchmarkQueueMQTT(b *testing.B) {
	m := newMQTTTopic(b)
	name := "bench-" + randomSuffix()
	s, logs := startBenchServer(b, name, m.binding())
	if code, err := s.api("PUT", "/api/v1/credentials/broker", m.credential(), nil); err != nil || code != 200 {
		b.Fatalf("PUT credential: %d %v", code, err)
	}
	s.queueConnected(b, name)
	done := make(chan error, 1)
	go func() {
		const batch = 100
		for next := 0; next < b.N; next += batch {
			for int64(next)-s.started(name) > mosquittoQueueLimit-batch {
				time.Sleep(time.Millisecond)
			}
			m.publish(b, next, min(next+batch, b.N))
		}
		done <- nil
	}()
	var first int64
	for deadline := time.Now().Add(time.Minute); first <= 0; first = s.started(name) {
		if time.Now().After(deadline) {
			b.Fatalf("nothing consumed:\n%s", logs())
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StartTimer()
	start := time.Now()
	for deadline := time.Now().Add(10 * time.Minute); s.started(name) < int64(b.N); {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d consumed", s.started(name), b.N)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(float64(int64(b.N)-first)/time.Since(start).Seconds(), "msgs/s")
	<-done
}
