// Package queueamqp is the RabbitMQ (AMQP 0-9-1) broker of queue triggers
// and queue.publish, on github.com/rabbitmq/amqp091-go.
//
// A binding consumes a queue with manual acknowledgements and a prefetch
// (basic.qos) equal to the binding's prefetch; several Weft processes are
// competing consumers of the same queue, so RabbitMQ hands each message to
// one of them, and the store's dedupe absorbs redeliveries after a crash.
// A message is acked after its execution is on disk, nacked with requeue on
// a transient failure, and nacked without requeue (the queue's dead-letter
// exchange, if it has one) when refused.
package queueamqp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Broker is the RabbitMQ broker.
type Broker struct{}

var _ queue.Broker = Broker{}

// Name implements queue.Broker.
func (Broker) Name() string { return spec.RabbitMQ }

// CredentialType implements queue.Broker.
func (Broker) CredentialType() string { return spec.CredentialType(spec.RabbitMQ) }

// Consumer implements queue.Broker.
func (Broker) Consumer(b queue.Binding) (queue.Consumer, error) {
	return &consumer{b: b, queue: spec.String(b.Trigger.Options, "queue"), declare: spec.Bool(b.Trigger.Options, "declare")}, nil
}

type consumer struct {
	b       queue.Binding
	queue   string
	declare bool
}

// dial connects with the credential's URL, user and CA, through d (the
// connection's SSRF-guarded dialer). Errors never carry the URL (it may
// hold a password).
func dial(cred step.Credential, d step.DialFunc, name string) (*amqp.Connection, error) {
	if d == nil {
		return nil, queue.ErrNoDial
	}
	raw := cred.Data["url"]
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") {
		return nil, errors.New("the connection's url must look like amqp://host:5672/vhost")
	}
	if user := cred.Data["username"]; user != "" {
		u.User = url.UserPassword(user, cred.Data["password"])
	}
	cfg := amqp.Config{Heartbeat: 10 * time.Second, Dial: guardedDial(d),
		Properties: amqp.Table{"connection_name": name}}
	if pem := cred.Data["ca"]; pem != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(pem)) {
			return nil, errors.New("the connection's ca holds no PEM certificate")
		}
		cfg.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	conn, err := amqp.DialConfig(u.String(), cfg)
	if err != nil {
		var ae *amqp.Error
		if errors.As(err, &ae) {
			return nil, fmt.Errorf("connecting to RabbitMQ: %s", ae.Reason)
		}
		return nil, fmt.Errorf("connecting to RabbitMQ at %s: %w", u.Host, scrub(err, raw))
	}
	return conn, nil
}

// guardedDial is amqp.DefaultDial through d: a deadline covers the TLS and
// AMQP handshakes (heartbeats have not started; amqp091 clears it once the
// connection is open).
func guardedDial(d step.DialFunc) func(network, addr string) (net.Conn, error) {
	dial := queue.NoContext(d)
	return func(network, addr string) (net.Conn, error) {
		conn, err := dial(network, addr)
		if err != nil {
			return nil, err
		}
		if err := conn.SetDeadline(time.Now().Add(queue.DialTimeout)); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return conn, nil
	}
}

// scrub drops an error that quotes the URL (with its password).
func scrub(err error, raw string) error {
	if raw != "" && strings.Contains(err.Error(), raw) {
		return errors.New("dial failed")
	}
	return err
}

// Consume implements queue.Consumer.
func (c *consumer) Consume(ctx context.Context, sink queue.Sink) error {
	conn, err := dial(c.b.Credential, c.b.Dial, "weft "+c.b.Workflow)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("opening a channel: %w", err)
	}
	if err := ch.Qos(c.b.Prefetch, 0, false); err != nil {
		return fmt.Errorf("setting prefetch: %w", err)
	}
	if c.declare {
		if _, err := ch.QueueDeclare(c.queue, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declaring queue %q: %w", c.queue, err)
		}
	}
	tag := fmt.Sprintf("weft-%s-%s", c.b.Workflow, c.b.Owner)
	deliveries, err := ch.ConsumeWithContext(ctx, c.queue, tag, false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consuming queue %q: %w", c.queue, err)
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	sink.Connected()
	go c.watchLag(ctx, conn, sink)
	for {
		select {
		case <-ctx.Done():
			_ = ch.Cancel(tag, false)
			sink.Wait() // settle what is on disk before the connection goes
			return nil
		case d, ok := <-deliveries:
			if !ok {
				sink.Wait()
				if e := <-closed; e != nil {
					return fmt.Errorf("connection closed: %s", e.Reason)
				}
				return errors.New("the broker cancelled the consumer (queue deleted?)")
			}
			sink.Deliver(ctx, c.delivery(d))
		}
	}
}

func (c *consumer) delivery(d amqp.Delivery) queue.Delivery {
	headers := make(map[string]string, len(d.Headers))
	for k, v := range d.Headers {
		headers[k] = fmt.Sprint(v)
	}
	meta := map[string]any{"queue": c.queue, "exchange": d.Exchange, "routing_key": d.RoutingKey}
	if d.ContentType != "" {
		meta["content_type"] = d.ContentType
	}
	return queue.Delivery{
		Message: queue.Message{ID: d.MessageId, Body: d.Body, Headers: headers, Meta: meta, Redelivered: d.Redelivered},
		Settle: func(_ context.Context, o queue.Outcome) error {
			switch o {
			case queue.Ack:
				return d.Ack(false)
			case queue.Requeue:
				return d.Nack(false, true)
			default:
				return d.Nack(false, false)
			}
		},
	}
}

// watchLag reports the queue's ready-message count every few seconds, on a
// channel of its own (a failed passive declare closes its channel).
func (c *consumer) watchLag(ctx context.Context, conn *amqp.Connection, sink queue.Sink) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		ch, err := conn.Channel()
		if err == nil {
			q, qerr := ch.QueueDeclarePassive(c.queue, true, false, false, false, nil)
			if qerr == nil {
				sink.Lag(int64(q.Messages))
			}
			_ = ch.Close()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if conn.IsClosed() {
				return
			}
		}
	}
}
