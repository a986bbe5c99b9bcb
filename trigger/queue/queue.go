package queue

import (
	"context"
	"encoding/json"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// Message is one message received from a broker.
type Message struct {
	// ID identifies the message across redeliveries (a stream sequence, an
	// entry id, a partition offset, a publisher's message id). Empty means
	// the broker has none: a hash of the body stands in.
	ID      string
	Body    []byte
	Headers map[string]string
	// Meta holds broker-specific facts (subject, routing_key, partition…)
	// that become keys of the execution's trigger input.
	Meta        map[string]any
	Redelivered bool
}

// Outcome is how a delivery is settled.
type Outcome int

// Outcomes.
const (
	// Ack: the execution is on disk (or already was: a redelivery).
	Ack Outcome = iota
	// Requeue: deliver the message again later (a transient failure).
	Requeue
	// DeadLetter: the message is refused for good; the broker's
	// dead-letter path takes it.
	DeadLetter
)

func (o Outcome) String() string {
	switch o {
	case Ack:
		return "ack"
	case Requeue:
		return "requeue"
	default:
		return "dead_letter"
	}
}

// Delivery is a message and the way to settle it with its broker. Settle is
// called exactly once, after the execution is committed (Ack) or refused.
type Delivery struct {
	Message
	Settle func(ctx context.Context, o Outcome) error
}

// Binding is one `on.queue` entry of a workflow, ready to consume.
type Binding struct {
	Workflow string
	Index    int
	Trigger  weft.QueueTrigger
	// Credential is the connection's resolved credential: never log it.
	Credential step.Credential
	// Dial opens the consumer's TCP connections through the SSRF guard
	// with the connection's allow_private_net and hosts. Brokers must dial
	// with it (ErrNoDial when it is nil).
	Dial step.DialFunc
	// Prefetch bounds the messages in flight (received, not settled).
	Prefetch int
	// Owner names this process (for client ids and consumer names).
	Owner string
	// Node names this process stably across restarts (host and data
	// directory): brokers whose sessions outlive a connection (MQTT) name
	// their client after it, so a restarted process resumes its session.
	Node string
}

// Consumer consumes one binding.
type Consumer interface {
	// Consume connects, subscribes and passes each message to sink until
	// ctx ends (it returns nil) or the connection fails (it returns why;
	// the framework reconnects after a backoff). It must not return before
	// every delivery it handed to sink.Deliver has been settled or given up.
	Consume(ctx context.Context, sink Sink) error
}

// Sink receives a consumer's messages and reports.
type Sink interface {
	// Connected reports that the subscription is established.
	Connected()
	// Deliver turns d into an execution on another goroutine and settles
	// it. It blocks while Prefetch deliveries are in flight.
	Deliver(ctx context.Context, d Delivery)
	// Handle turns m into an execution and returns how to settle it, for
	// consumers that keep order (one message at a time).
	Handle(ctx context.Context, m Message) Outcome
	// Wait returns once every delivery handed to Deliver is settled. It
	// ends the session's deliveries: one handed to Deliver once Wait began
	// is left unsettled, for the broker to send again.
	Wait()
	// Lag reports how many messages wait at the broker (-1: unknown).
	Lag(n int64)
	// Dropped reports a connection the client lost and re-established by
	// itself (clients that reconnect internally, like Kafka's): health
	// counts it as a reconnect until Connected is called again.
	Dropped(err error)
}

// Broker builds consumers for one kind of broker.
type Broker interface {
	// Name is the broker kind of `on.queue.broker` (spec.RabbitMQ…).
	Name() string
	// CredentialType is the vault type its connections must have.
	CredentialType() string
	// Consumer returns a consumer for b. It must not connect yet.
	Consumer(b Binding) (Consumer, error)
}

// Publication is one message a publish step sends.
type Publication struct {
	// Target is the subject, exchange/routing key, topic or stream, as the
	// step's inputs name it (broker-specific keys).
	Target  map[string]any
	Body    []byte
	Headers map[string]string
	// ID is the message id the broker dedupes on (Nats-Msg-Id, AMQP
	// message-id…): the step run's idempotency key unless given.
	ID string
	// Key is the partition key (Kafka) .
	Key string
}

// Publisher sends messages through a connection. Implementations keep one
// client per connection (keyed by its credential) and close them on Close.
type Publisher interface {
	Name() string
	CredentialType() string
	// Publish sends p and returns once the broker confirmed it; the result
	// becomes part of the step output. A new client connects with dial
	// (the connection's SSRF-guarded dialer).
	Publish(ctx context.Context, cred step.Credential, dial step.DialFunc, p Publication) (map[string]any, error)
	Close() error
}

// StartRequest asks the Starter for an execution.
type StartRequest struct {
	Workflow string
	Input    json.RawMessage
	// DedupeScope and DedupeKey make the start idempotent: a second start
	// with the same pair returns the first execution.
	DedupeScope, DedupeKey string
	DedupeUntil            time.Time
}

// Starter creates executions durably: Start returns without error only once
// the execution is on disk.
type Starter interface {
	Start(ctx context.Context, req StartRequest) (id string, duplicate bool, err error)
}

// Workflow is an enabled workflow with queue bindings.
type Workflow struct {
	Name        string
	Version     int64
	Concurrency int
	Queue       []weft.QueueTrigger
}
