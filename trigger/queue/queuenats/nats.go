// Package queuenats is the NATS JetStream broker of queue triggers and
// queue.publish, on github.com/nats-io/nats.go and its jetstream package.
//
// A binding pulls from a durable consumer (default name weft-<workflow>)
// with explicit acks and MaxAckPending equal to the binding's prefetch.
// Every Weft process binds to the same durable consumer, so the server
// hands each message to one of them; the message id is the stream name and
// stream sequence, which a redelivery keeps, so the store's dedupe absorbs
// it. Ack after the execution is on disk, Nak on a transient failure, Term
// when refused. Publishing sets Nats-Msg-Id to the step's idempotency key,
// so the stream's duplicate window drops a repeated publish.
package queuenats

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Broker is the NATS JetStream broker.
type Broker struct{}

var _ queue.Broker = Broker{}

// Name implements queue.Broker.
func (Broker) Name() string { return spec.NATS }

// CredentialType implements queue.Broker.
func (Broker) CredentialType() string { return spec.CredentialType(spec.NATS) }

// Consumer implements queue.Broker.
func (Broker) Consumer(b queue.Binding) (queue.Consumer, error) {
	name := spec.String(b.Trigger.Options, "consumer")
	if name == "" {
		name = "weft-" + b.Workflow
	}
	return &consumer{b: b, name: name}, nil
}

type consumer struct {
	b    queue.Binding
	name string
}

// connect opens a connection that does not reconnect by itself: the
// framework does, so health sees every drop. closed fires when it is gone.
func connect(cred step.Credential, d step.DialFunc, name string, closed chan<- struct{}) (*nats.Conn, error) {
	if d == nil {
		return nil, queue.ErrNoDial
	}
	// Every dial (reconnects too) goes through the SSRF guard; the host name
	// is handed on unresolved so the connection's hosts list applies to it.
	opts := []nats.Option{nats.Name(name), nats.Timeout(10 * time.Second),
		nats.SetCustomDialer(dialer(d)), nats.SkipHostLookup()}
	if closed != nil {
		opts = append(opts, nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	}
	if u := cred.Data["username"]; u != "" {
		opts = append(opts, nats.UserInfo(u, cred.Data["password"]))
	}
	if tok := cred.Data["token"]; tok != "" {
		opts = append(opts, nats.Token(tok))
	}
	if pem := cred.Data["ca"]; pem != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(pem)) {
			return nil, errors.New("the connection's ca holds no PEM certificate")
		}
		opts = append(opts, nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	nc, err := nats.Connect(cred.Data["url"], opts...)
	if err != nil {
		// nats errors name the server, not the URL's user info.
		return nil, fmt.Errorf("connecting to NATS: %w", err)
	}
	return nc, nil
}

// dialer adapts a DialFunc to nats.CustomDialer.
type dialer step.DialFunc

func (d dialer) Dial(network, addr string) (net.Conn, error) {
	return queue.NoContext(step.DialFunc(d))(network, addr)
}

// Consume implements queue.Consumer.
func (c *consumer) Consume(ctx context.Context, sink queue.Sink) error {
	closed := make(chan struct{})
	nc, err := connect(c.b.Credential, c.b.Dial, "weft "+c.b.Workflow, closed)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	opts := c.b.Trigger.Options
	stream := spec.String(opts, "stream")
	cfg := jetstream.ConsumerConfig{
		Durable: c.name, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait: spec.Duration(opts, "ack_wait"), MaxAckPending: c.b.Prefetch, FilterSubject: spec.String(opts, "subject"),
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := js.CreateOrUpdateConsumer(cctx, stream, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("consumer %q on stream %q: %w", c.name, stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(c.b.Prefetch))
	if err != nil {
		return fmt.Errorf("pulling from stream %q: %w", stream, err)
	}
	defer it.Stop()
	sink.Connected()
	// Next blocks; a closed connection or the end of ctx stops the
	// iterator so it returns.
	go func() {
		select {
		case <-ctx.Done():
		case <-closed:
		}
		it.Stop()
	}()
	for {
		msg, err := it.Next()
		if err != nil {
			sink.Wait()
			if ctx.Err() != nil {
				return nil
			}
			select {
			case <-closed:
				return errors.New("connection to NATS closed")
			default:
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return errors.New("the pull subscription ended")
			}
			return fmt.Errorf("pulling: %w", err)
		}
		sink.Deliver(ctx, delivery(msg, sink))
	}
}

func delivery(msg jetstream.Msg, sink queue.Sink) queue.Delivery {
	headers := map[string]string{}
	for k, v := range msg.Headers() {
		headers[k] = strings.Join(v, ",")
	}
	m := queue.Message{Body: msg.Data(), Headers: headers, Meta: map[string]any{"subject": msg.Subject()}}
	if md, err := msg.Metadata(); err == nil {
		m.ID = md.Stream + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
		m.Redelivered = md.NumDelivered > 1
		m.Meta["stream"] = md.Stream
		m.Meta["sequence"] = md.Sequence.Stream
		sink.Lag(int64(md.NumPending))
	}
	return queue.Delivery{Message: m, Settle: func(_ context.Context, o queue.Outcome) error {
		switch o {
		case queue.Ack:
			return msg.Ack()
		case queue.Requeue:
			return msg.NakWithDelay(time.Second)
		default:
			return msg.TermWithReason("refused by weft")
		}
	}}
}
