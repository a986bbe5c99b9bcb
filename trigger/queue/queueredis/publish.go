package queueredis

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Publisher adds entries with XADD: fields body, message_id and one per
// header. Redis does not dedupe a repeated XADD; the message_id field lets
// a consuming Weft do it.
type Publisher struct {
	clients *queue.Clients[*redis.Client]
}

var _ queue.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher.
func NewPublisher() *Publisher {
	return &Publisher{clients: queue.NewClients(func(rc *redis.Client) { _ = rc.Close() }, nil)}
}

// Name implements queue.Publisher.
func (*Publisher) Name() string { return spec.Redis }

// CredentialType implements queue.Publisher.
func (*Publisher) CredentialType() string { return spec.CredentialType(spec.Redis) }

func (p *Publisher) client(cred step.Credential, d step.DialFunc) (*redis.Client, error) {
	return p.clients.Get(cred, func() (*redis.Client, error) { return client(cred, d) })
}

// Publish implements queue.Publisher. Target key: stream.
func (p *Publisher) Publish(ctx context.Context, cred step.Credential, d step.DialFunc, pub queue.Publication) (map[string]any, error) {
	stream, _ := pub.Target["stream"].(string)
	if stream == "" {
		return nil, errors.New("redis needs stream (the stream key)")
	}
	rc, err := p.client(cred, d)
	if err != nil {
		return nil, err
	}
	values := []any{"body", string(pub.Body)}
	if pub.ID != "" {
		values = append(values, "message_id", pub.ID)
	}
	for k, v := range pub.Headers {
		if k != "body" && k != "message_id" {
			values = append(values, k, v)
		}
	}
	id, err := rc.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: values}).Result()
	if err != nil {
		return nil, step.Retryable(fmt.Errorf("XADD to %q: %w", stream, err), 0)
	}
	return map[string]any{"stream": stream, "entry_id": id, "message_id": pub.ID}, nil
}

// Close implements queue.Publisher.
func (p *Publisher) Close() error {
	p.clients.Close()
	return nil
}
