package queuekafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Publisher produces with franz-go's idempotent producer (the default:
// retries inside one client never duplicate a record) and acks from all
// in-sync replicas. The message id travels as the message_id header, which
// a consuming Weft dedupes on across clients.
type Publisher struct {
	clients *queue.Clients[*kgo.Client]
}

var _ queue.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher.
func NewPublisher() *Publisher {
	return &Publisher{clients: queue.NewClients(func(cl *kgo.Client) { cl.Close() }, nil)}
}

// Name implements queue.Publisher.
func (*Publisher) Name() string { return spec.Kafka }

// CredentialType implements queue.Publisher.
func (*Publisher) CredentialType() string { return spec.CredentialType(spec.Kafka) }

func (p *Publisher) client(ctx context.Context, cred step.Credential, d step.DialFunc) (*kgo.Client, error) {
	return p.clients.Get(cred, func() (*kgo.Client, error) {
		opts, err := clientOpts(cred, d)
		if err != nil {
			return nil, err
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("kafka client: %w", err)
		}
		// franz-go retries a failed dial until the produce times out; a ping
		// first reports why the broker cannot be reached (an SSRF refusal, a
		// wrong address) as such, and the client is not kept.
		pctx, cancel := context.WithTimeout(ctx, queue.DialTimeout)
		err = cl.Ping(pctx)
		cancel()
		if err != nil {
			cl.Close()
			return nil, fmt.Errorf("reaching Kafka: %w", err)
		}
		return cl, nil
	})
}

// Publish implements queue.Publisher. Target key: topic; Publication.Key
// is the partition key.
func (p *Publisher) Publish(ctx context.Context, cred step.Credential, d step.DialFunc, pub queue.Publication) (map[string]any, error) {
	topic, _ := pub.Target["topic"].(string)
	if topic == "" {
		return nil, errors.New("kafka needs topic")
	}
	cl, err := p.client(ctx, cred, d)
	if err != nil {
		return nil, step.Retryable(err, 0)
	}
	r := &kgo.Record{Topic: topic, Value: pub.Body}
	if pub.Key != "" {
		r.Key = []byte(pub.Key)
	}
	if pub.ID != "" {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: "message_id", Value: []byte(pub.ID)})
	}
	for k, v := range pub.Headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	res, err := cl.ProduceSync(ctx, r).First()
	if err != nil {
		return nil, step.Retryable(fmt.Errorf("producing to %q: %w", topic, err), 0)
	}
	return map[string]any{"topic": res.Topic, "partition": res.Partition, "offset": res.Offset, "message_id": pub.ID}, nil
}

// Close implements queue.Publisher.
func (p *Publisher) Close() error {
	p.clients.Close()
	return nil
}
