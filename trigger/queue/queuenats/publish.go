package queuenats

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Publisher publishes to JetStream and waits for the stream's ack. The
// message id goes in Nats-Msg-Id, so the stream drops a repeat within its
// duplicate window.
type Publisher struct {
	mu    sync.Mutex
	conns map[string]*pubConn
}

type pubConn struct {
	key string
	nc  *nats.Conn
	js  jetstream.JetStream
}

var _ queue.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher.
func NewPublisher() *Publisher { return &Publisher{conns: map[string]*pubConn{}} }

// Name implements queue.Publisher.
func (*Publisher) Name() string { return spec.NATS }

// CredentialType implements queue.Publisher.
func (*Publisher) CredentialType() string { return spec.CredentialType(spec.NATS) }

func (p *Publisher) js(cred step.Credential, d step.DialFunc) (jetstream.JetStream, error) {
	key := fmt.Sprint(cred.Data)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[cred.Name]; ok && c.key == key && !c.nc.IsClosed() {
		return c.js, nil
	} else if ok {
		c.nc.Close()
		delete(p.conns, cred.Name)
	}
	nc, err := connect(cred, d, "weft publisher", nil)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	p.conns[cred.Name] = &pubConn{key: key, nc: nc, js: js}
	return js, nil
}

// Publish implements queue.Publisher. Target key: subject.
func (p *Publisher) Publish(ctx context.Context, cred step.Credential, d step.DialFunc, pub queue.Publication) (map[string]any, error) {
	subject, _ := pub.Target["subject"].(string)
	if subject == "" {
		return nil, errors.New("nats needs subject (a subject bound to a JetStream stream)")
	}
	js, err := p.js(cred, d)
	if err != nil {
		return nil, step.Retryable(err, 0)
	}
	msg := nats.NewMsg(subject)
	msg.Data = pub.Body
	for k, v := range pub.Headers {
		msg.Header.Set(k, v)
	}
	var opts []jetstream.PublishOpt
	if pub.ID != "" {
		opts = append(opts, jetstream.WithMsgID(pub.ID))
	}
	ack, err := js.PublishMsg(ctx, msg, opts...)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			return nil, fmt.Errorf("no JetStream stream takes subject %q: %w", subject, err)
		}
		return nil, step.Retryable(fmt.Errorf("publishing to NATS: %w", err), 0)
	}
	return map[string]any{"subject": subject, "stream": ack.Stream, "sequence": ack.Sequence, "duplicate": ack.Duplicate, "message_id": pub.ID}, nil
}

// Close implements queue.Publisher.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.conns {
		c.nc.Close()
		delete(p.conns, k)
	}
	return nil
}
