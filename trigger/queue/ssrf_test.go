package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queueamqp"
	"github.com/weftworks/weft/trigger/queue/queuekafka"
	"github.com/weftworks/weft/trigger/queue/queuemqtt"
	"github.com/weftworks/weft/trigger/queue/queuenats"
	"github.com/weftworks/weft/trigger/queue/queuepg"
	"github.com/weftworks/weft/trigger/queue/queueredis"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

// loopbackCreds are credentials of every broker kind that point at
// 127.0.0.1: the SSRF guard refuses them before any packet is sent, so no
// broker needs to run.
var loopbackCreds = map[string]step.Credential{
	"amqp":     {Type: "amqp", Data: map[string]string{"url": "amqp://guest:guest@127.0.0.1:5672/"}},
	"nats":     {Type: "nats", Data: map[string]string{"url": "nats://127.0.0.1:4222"}},
	"redis":    {Type: "redis", Data: map[string]string{"url": "redis://127.0.0.1:6379/0"}},
	"kafka":    {Type: "kafka", Data: map[string]string{"brokers": "127.0.0.1:9092"}},
	"mqtt":     {Type: "mqtt", Data: map[string]string{"url": "mqtt://127.0.0.1:1883"}},
	"postgres": {Type: "postgres", Data: map[string]string{"url": "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"}},
}

// TestTriggersDialThroughTheSSRFGuard: a consumer of every broker whose
// connection points at a private address, with no allow_private_net,
// never connects and its health names the SSRF guard.
func TestTriggersDialThroughTheSSRFGuard(t *testing.T) {
	t.Parallel()
	brokers := []struct {
		b    queue.Broker
		opts map[string]any
	}{
		{queueamqp.Broker{}, map[string]any{"queue": "q"}},
		{queuenats.Broker{}, map[string]any{"stream": "S"}},
		{queueredis.Broker{}, map[string]any{"stream": "s"}},
		{queuekafka.Broker{}, map[string]any{"topics": []any{"t"}}},
		{queuepg.Broker{}, map[string]any{"channel": "c"}},
		{queuemqtt.Broker{}, map[string]any{"topic": "t"}},
	}
	for _, tc := range brokers {
		t.Run(tc.b.Name(), func(t *testing.T) {
			t.Parallel()
			cred := loopbackCreds[tc.b.CredentialType()]
			starter := queuetest.NewStarter()
			m := queuetest.RunWith(t, tc.b, queuetest.Creds{C: cred}, starter, queuetest.Binding("ssrf-"+tc.b.Name(), tc.b.Name(), tc.opts))
			var h queue.Health
			queuetest.Eventually(t, 20*time.Second, "an SSRF refusal in health", func() bool {
				hs := m.Health()
				if len(hs) == 1 {
					h = hs[0]
				}
				return strings.Contains(h.LastError, "SSRF guard")
			})
			if h.Status != "error" || h.Connected {
				t.Errorf("health = %+v, want status error and not connected", h)
			}
			if strings.Contains(h.LastError, "guest:guest") {
				t.Errorf("health leaks the URL: %s", h.LastError)
			}
		})
	}
}

// TestPublishersDialThroughTheSSRFGuard: every publisher refuses a private
// broker address unless the connection allows it.
func TestPublishersDialThroughTheSSRFGuard(t *testing.T) {
	t.Parallel()
	pubs := []struct {
		p      queue.Publisher
		target map[string]any
	}{
		{queueamqp.NewPublisher(), map[string]any{"routing_key": "q"}},
		{queuenats.NewPublisher(), map[string]any{"subject": "s"}},
		{queueredis.NewPublisher(), map[string]any{"stream": "s"}},
		{queuekafka.NewPublisher(), map[string]any{"topic": "t"}},
		{queuemqtt.NewPublisher(), map[string]any{"topic": "t"}},
	}
	for _, tc := range pubs {
		t.Run(tc.p.Name(), func(t *testing.T) {
			t.Parallel()
			defer tc.p.Close()
			cred := loopbackCreds[tc.p.CredentialType()]
			cred.Name = "b"
			dial, _ := queuetest.Creds{}.Dialer(context.Background(), "w", "b")
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_, err := tc.p.Publish(ctx, cred, dial, queue.Publication{Target: tc.target, Body: []byte("{}"), ID: "x"})
			if !errors.Is(err, netguard.ErrBlocked) {
				t.Fatalf("publish to 127.0.0.1 without allow_private_net: err = %v, want the SSRF guard's refusal", err)
			}
		})
	}
}

// TestBrokersRefuseToDialWithoutADialer: a binding without a dialer fails
// instead of falling back to an unguarded net.Dialer.
func TestBrokersRefuseToDialWithoutADialer(t *testing.T) {
	t.Parallel()
	for _, b := range []queue.Broker{queueamqp.Broker{}, queuenats.Broker{}, queueredis.Broker{}, queuekafka.Broker{}, queuemqtt.Broker{}, queuepg.Broker{}} {
		c, err := b.Consumer(queue.Binding{Workflow: "w", Credential: loopbackCreds[b.CredentialType()], Prefetch: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = c.Consume(ctx, nopSink{})
		cancel()
		if !errors.Is(err, queue.ErrNoDial) {
			t.Errorf("%s without a dialer: err = %v, want ErrNoDial", b.Name(), err)
		}
	}
}

type nopSink struct{}

func (nopSink) Connected()                                          {}
func (nopSink) Deliver(context.Context, queue.Delivery)             {}
func (nopSink) Handle(context.Context, queue.Message) queue.Outcome { return queue.Ack }
func (nopSink) Wait()                                               {}
func (nopSink) Lag(int64)                                           {}
func (nopSink) Dropped(error)                                       {}
