package queueamqp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Publisher publishes with publisher confirms: Publish returns once the
// broker has taken responsibility for the message (persistent delivery).
type Publisher struct {
	mu    sync.Mutex
	conns map[string]*pubConn // by connection name
}

type pubConn struct {
	key  string // credential fingerprint: a changed credential reconnects
	conn *amqp.Connection
	ch   *amqp.Channel
}

var _ queue.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher.
func NewPublisher() *Publisher { return &Publisher{conns: map[string]*pubConn{}} }

// Name implements queue.Publisher.
func (*Publisher) Name() string { return spec.RabbitMQ }

// CredentialType implements queue.Publisher.
func (*Publisher) CredentialType() string { return spec.CredentialType(spec.RabbitMQ) }

func (p *Publisher) channel(cred step.Credential, d step.DialFunc) (*amqp.Channel, error) {
	key := fmt.Sprint(cred.Data)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[cred.Name]; ok && c.key == key && !c.conn.IsClosed() && !c.ch.IsClosed() {
		return c.ch, nil
	} else if ok {
		_ = c.conn.Close()
		delete(p.conns, cred.Name)
	}
	conn, err := dial(cred, d, "weft publisher")
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("opening a confirm channel: %w", err)
	}
	p.conns[cred.Name] = &pubConn{key: key, conn: conn, ch: ch}
	return ch, nil
}

// Publish implements queue.Publisher. Target keys: exchange (default the
// default exchange) and routing_key (the queue name for the default
// exchange).
func (p *Publisher) Publish(ctx context.Context, cred step.Credential, d step.DialFunc, pub queue.Publication) (map[string]any, error) {
	exchange, _ := pub.Target["exchange"].(string)
	key, _ := pub.Target["routing_key"].(string)
	if key == "" && exchange == "" {
		return nil, errors.New("rabbitmq needs routing_key (the queue name on the default exchange) or exchange")
	}
	ch, err := p.channel(cred, d)
	if err != nil {
		return nil, step.Retryable(err, 0)
	}
	headers := amqp.Table{}
	for k, v := range pub.Headers {
		headers[k] = v
	}
	msg := amqp.Publishing{MessageId: pub.ID, Body: pub.Body, Headers: headers, DeliveryMode: amqp.Persistent, Timestamp: time.Now()}
	if json.Valid(pub.Body) {
		msg.ContentType = "application/json"
	}
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, msg)
	if err != nil {
		return nil, step.Retryable(fmt.Errorf("publishing to RabbitMQ: %w", err), 0)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil {
		return nil, step.Retryable(fmt.Errorf("waiting for the publisher confirm: %w", err), 0)
	}
	if !ok {
		return nil, step.Retryable(errors.New("RabbitMQ refused the message (nack)"), 0)
	}
	return map[string]any{"exchange": exchange, "routing_key": key, "message_id": pub.ID, "confirmed": true}, nil
}

// Close implements queue.Publisher.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.conns {
		_ = c.conn.Close()
		delete(p.conns, k)
	}
	return nil
}
