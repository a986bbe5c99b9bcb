// Package queuepublish is the queue.publish step: it sends one message to a
// broker through a vault connection and returns once the broker confirmed
// it (RabbitMQ publisher confirms, a JetStream ack, the XADD reply, a Kafka
// produce ack). The step run's idempotency key is the
// message id, so a step repeated after a crash publishes a message the
// broker (NATS Nats-Msg-Id) or the consuming Weft (the store's dedupe)
// recognises as the same one.
package queuepublish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
)

// Type is the step type.
const Type = "queue.publish"

// MaxBody bounds a published message (bytes).
const MaxBody = 1 << 20

// Spec declares queue.publish.
func Spec() step.Spec {
	return step.Spec{
		Type:     Type,
		Title:    "Publish to a message queue",
		Category: step.CategoryCore,
		Description: "Publishes `body` (JSON, or a string as is) through `connection`, whose type picks the broker: " +
			"amqp (RabbitMQ: `exchange` and/or `routing_key`), nats (JetStream: `subject`), " +
			"redis (`stream`), kafka (`topic`, `key`), mqtt (MQTT 5: `topic`, `qos`). The step finishes when the broker confirmed the message. " +
			"`message_id` defaults to the step's idempotency key, stable across retries and crashes.",
		Auth: []string{"amqp", "kafka", "mqtt", "nats", "redis"},
		Fields: []step.Field{
			{Name: "connection", Type: step.String, Required: true, Example: "orders-broker", Description: "Vault connection of the broker."},
			{Name: "body", Type: step.Any, Required: true, Description: "Message body: a string is sent as is, anything else as JSON."},
			{Name: "headers", Type: step.Object, Description: "Message headers (AMQP headers, NATS headers, Kafka headers, extra Redis fields)."},
			{Name: "message_id", Type: step.String, Description: "Message id (Nats-Msg-Id, AMQP message-id, MQTT user property message-id, …); default: the step's idempotency key."},
			{Name: "exchange", Type: step.String, Description: "RabbitMQ exchange (default: the default exchange)."},
			{Name: "routing_key", Type: step.String, Description: "RabbitMQ routing key (the queue name on the default exchange)."},
			{Name: "subject", Type: step.String, Description: "NATS subject (bound to a JetStream stream)."},
			{Name: "topic", Type: step.String, Description: "Kafka or MQTT topic."},
			{Name: "qos", Type: step.Integer, Description: "MQTT QoS: 1 (default, waits for PUBACK) or 2 (waits for PUBCOMP)."},
			{Name: "stream", Type: step.String, Description: "Redis stream key."},
			{Name: "key", Type: step.String, Description: "Kafka partition key."},
		},
		Output: "`{broker, message_id, …}` plus what the broker answered (stream sequence, entry id, partition and offset, the MQTT reason code).",
		Example: `- id: forward
  uses: queue.publish
  with:
    connection: orders-broker
    routing_key: orders.paid
    body: { order: "{{ trigger.body.id }}", total: "{{ trigger.body.total }}" }
`,
	}
}

// Register adds queue.publish to reg with the given publishers (one per
// connection type). Without a publisher for a connection's type the step
// fails with a clear error.
func Register(reg *step.Registry, pubs []queue.Publisher) error {
	s := Spec()
	h := handler{spec: s, pubs: map[string]queue.Publisher{}}
	for _, p := range pubs {
		h.pubs[p.CredentialType()] = p
	}
	if err := reg.Add(s, h); err != nil {
		return fmt.Errorf("registering %s: %w", Type, err)
	}
	return nil
}

// refusal turns a dial the SSRF guard or the connection's hosts refused
// into a permanent error that says how to allow it: retrying cannot help.
func refusal(name string, err error) error {
	if !errors.Is(err, netguard.ErrBlocked) && !errors.Is(err, weft.ErrInvalid) {
		return err
	}
	var re *step.RetryableError
	if errors.As(err, &re) {
		err = re.Err
	}
	if errors.Is(err, netguard.ErrBlocked) {
		return fmt.Errorf("connection %q: the broker's address is private and not allowed: %w; "+
			"set allow_private_net on the connection (or start weft with --allow-private-net) to reach it", name, err)
	}
	return fmt.Errorf("connection %q: %w", name, err)
}

type handler struct {
	spec step.Spec
	pubs map[string]queue.Publisher
}

var _ step.Handler = handler{}

// targetKeys are the inputs that name where (and how: MQTT's qos) a
// message goes.
var targetKeys = []string{"exchange", "routing_key", "subject", "topic", "stream", "qos"}

func (h handler) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&h.spec, req.With)
	name, err := in.String("connection")
	if err != nil {
		return step.Result{}, err
	}
	if req.Env == nil || req.Env.Connections == nil {
		return step.Result{}, fmt.Errorf("queue.publish needs the vault: no connections are configured")
	}
	cred, err := req.Env.Connections.Get(ctx, req.Workflow, name)
	if err != nil {
		return step.Result{}, fmt.Errorf("connection %q: %w", name, err)
	}
	pub, ok := h.pubs[cred.Type]
	if !ok {
		return step.Result{}, input.Invalid("connection", "connection %q is of type %s; queue.publish needs one of %s", name, cred.Type, strings.Join(h.spec.Auth, ", "))
	}
	v, _, err := in.Value("body")
	if err != nil {
		return step.Result{}, err
	}
	var body []byte
	if s, isStr := v.(string); isStr {
		body = []byte(s)
	} else if body, err = json.Marshal(v); err != nil {
		return step.Result{}, input.Invalid("body", "cannot be encoded as JSON: %v", err)
	}
	if len(body) > MaxBody {
		return step.Result{}, input.Invalid("body", "is %d bytes; a message may be at most %d", len(body), MaxBody)
	}
	p := queue.Publication{Body: body, Target: map[string]any{}, ID: req.IdempotencyKey}
	if in.Has("headers") {
		if p.Headers, err = in.StringMap("headers"); err != nil {
			return step.Result{}, err
		}
	}
	if in.Has("message_id") {
		if p.ID, err = in.String("message_id"); err != nil {
			return step.Result{}, err
		}
	}
	if in.Has("key") {
		if p.Key, err = in.String("key"); err != nil {
			return step.Result{}, err
		}
	}
	for _, k := range targetKeys {
		if val, has, _ := in.Value(k); has {
			p.Target[k] = val
		}
	}
	// The client may be kept and reused by other workflows (access was
	// checked by Get above); each of its dials asks the vault again, so the
	// SSRF guard sees the connection's current allow_private_net and hosts.
	out, err := pub.Publish(ctx, cred, queue.Dial(req.Env.Connections, "", name), p)
	req.Env.Connections.Report(name, err)
	if err != nil {
		return step.Result{}, refusal(name, err)
	}
	out["broker"] = pub.Name()
	if _, ok := out["message_id"]; !ok {
		out["message_id"] = p.ID
	}
	return step.Result{Output: out}, nil
}
