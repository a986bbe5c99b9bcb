package queuepublish_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/queuepublish"
	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuenats"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

type fakePub struct{ got []queue.Publication }

func (*fakePub) Name() string           { return "nats" }
func (*fakePub) CredentialType() string { return "nats" }
func (*fakePub) Close() error           { return nil }
func (f *fakePub) Publish(_ context.Context, _ step.Credential, _ step.DialFunc, p queue.Publication) (map[string]any, error) {
	f.got = append(f.got, p)
	return map[string]any{"sequence": 7}, nil
}

type creds map[string]string // name → type

func (c creds) Get(_ context.Context, _, name string) (step.Credential, error) {
	t, ok := c[name]
	if !ok {
		return step.Credential{}, errors.New("no such credential")
	}
	return step.Credential{Name: name, Type: t, Data: map[string]string{"url": "nats://secret@host"}}, nil
}
func (creds) Authorize(context.Context, string, string, *http.Request) error { return nil }

func run(t *testing.T, pub *fakePub, with map[string]any) (step.Result, error) {
	t.Helper()
	reg := step.NewRegistry()
	if err := queuepublish.Register(reg, []queue.Publisher{pub}); err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Lookup(queuepublish.Type)
	return r.Handler.Run(context.Background(), &step.Request{
		Workflow: "w", With: with, IdempotencyKey: "ex-1/forward/-1",
		Env: &step.Env{Connections: step.CredentialsOnly(creds{"events": "nats", "web": "bearer"})},
	})
}

func TestPublishUsesTheIdempotencyKeyAsMessageID(t *testing.T) {
	t.Parallel()
	pub := &fakePub{}
	res, err := run(t, pub, map[string]any{"connection": "events", "subject": "orders.paid", "body": map[string]any{"id": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.got) != 1 || pub.got[0].ID != "ex-1/forward/-1" || string(pub.got[0].Body) != `{"id":1}` || pub.got[0].Target["subject"] != "orders.paid" {
		t.Errorf("published %+v", pub.got)
	}
	out := res.Output.(map[string]any)
	if out["broker"] != "nats" || out["message_id"] != "ex-1/forward/-1" || out["sequence"] != 7 {
		t.Errorf("output = %v", out)
	}
}

func TestPublishRefusesOtherConnectionsAndHugeBodies(t *testing.T) {
	t.Parallel()
	pub := &fakePub{}
	_, err := run(t, pub, map[string]any{"connection": "web", "subject": "x", "body": "hi"})
	if err == nil || !strings.Contains(err.Error(), "bearer") || !strings.Contains(err.Error(), "amqp, kafka, mqtt, nats, redis") {
		t.Errorf("wrong-type error = %v", err)
	}
	_, err = run(t, pub, map[string]any{"connection": "events", "subject": "x", "body": strings.Repeat("x", queuepublish.MaxBody+1)})
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("size error = %v", err)
	}
	if len(pub.got) != 0 {
		t.Errorf("published %d messages", len(pub.got))
	}
}

// TestPublishToAPrivateBrokerIsRefusedForGood: the broker connection goes
// through the SSRF guard; a refusal is permanent (retrying cannot help) and
// says how to allow the address.
func TestPublishToAPrivateBrokerIsRefusedForGood(t *testing.T) {
	t.Parallel()
	reg := step.NewRegistry()
	pub := queuenats.NewPublisher()
	defer pub.Close()
	if err := queuepublish.Register(reg, []queue.Publisher{pub}); err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Lookup(queuepublish.Type)
	conns := queuetest.Creds{C: step.Credential{Type: "nats", Data: map[string]string{"url": "nats://127.0.0.1:4222"}}}
	_, err := r.Handler.Run(context.Background(), &step.Request{
		Workflow: "w", With: map[string]any{"connection": "events", "subject": "s", "body": "hi"}, IdempotencyKey: "k",
		Env: &step.Env{Connections: conns},
	})
	if !errors.Is(err, netguard.ErrBlocked) || !strings.Contains(err.Error(), "allow_private_net") || !strings.Contains(err.Error(), `connection "events"`) {
		t.Fatalf("err = %v, want the SSRF refusal naming the connection and allow_private_net", err)
	}
	if ok, _ := step.IsRetryable(err); ok {
		t.Errorf("an SSRF refusal is retryable: %v", err)
	}
}
