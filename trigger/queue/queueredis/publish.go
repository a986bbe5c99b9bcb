package queueredis

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Publisher adds entries with XADD: fields body, message_id and one per
// header. Redis does not dedupe a repeated XADD; the message_id field lets
// a consuming Weft do it.
type Publisher struct {
	mu      sync.Mutex
	clients map[string]*pubClient
}

type pubClient struct {
	key string
	rc  *redis.Client
}

var _ queue.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher.
func NewPublisher() *Publisher { return &Publisher{clients: map[string]*pubClient{}} }

// Name implements queue.Publisher.
func (*Publisher) Name() string { return spec.Redis }

// CredentialType implements queue.Publisher.
func (*Publisher) CredentialType() string { return spec.CredentialType(spec.Redis) }

func (p *Publisher) client(cred step.Credential, d step.DialFunc) (*redis.Client, error) {
	key := fmt.Sprint(cred.Data)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[cred.Name]; ok && c.key == key {
		return c.rc, nil
	} else if ok {
		_ = c.rc.Close()
	}
	rc, err := client(cred, d)
	if err != nil {
		return nil, err
	}
	p.clients[cred.Name] = &pubClient{key: key, rc: rc}
	return rc, nil
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
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.clients {
		_ = c.rc.Close()
		delete(p.clients, k)
	}
	return nil
}
