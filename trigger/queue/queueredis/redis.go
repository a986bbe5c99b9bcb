// Package queueredis is the Redis Streams broker of queue triggers and
// queue.publish, on github.com/redis/go-redis/v9.
//
// A binding reads with XREADGROUP in a consumer group (default
// weft-<workflow>, created with the stream when missing); every Weft
// process is a consumer of the group named after the process, so Redis
// hands each entry to one of them. An entry is XACKed after its execution
// is on disk. Entries a consumer took but never acknowledged (it died)
// stay pending; every process runs XAUTOCLAIM for entries idle longer than
// claim_idle and takes them over. The message id is the entry's
// `message_id` field when it has one (queue.publish sets it, so a repeated
// publish is deduped), else stream and entry id. A refused entry is added
// to the dead-letter stream and acknowledged in one transaction.
package queueredis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Broker is the Redis Streams broker.
type Broker struct{}

var _ queue.Broker = Broker{}

// Name implements queue.Broker.
func (Broker) Name() string { return spec.Redis }

// CredentialType implements queue.Broker.
func (Broker) CredentialType() string { return spec.CredentialType(spec.Redis) }

// Consumer implements queue.Broker.
func (Broker) Consumer(b queue.Binding) (queue.Consumer, error) {
	o := b.Trigger.Options
	c := &consumer{b: b, stream: spec.String(o, "stream"), group: spec.String(o, "group"),
		dead: spec.String(o, "dead_letter_stream"), claimIdle: spec.Duration(o, "claim_idle")}
	if c.group == "" {
		c.group = "weft-" + b.Workflow
	}
	if c.dead == "" {
		c.dead = c.stream + ":dead"
	}
	if c.claimIdle <= 0 {
		c.claimIdle = time.Minute
	}
	return c, nil
}

type consumer struct {
	b                   queue.Binding
	stream, group, dead string
	claimIdle           time.Duration
}

// client builds a client from the credential. Errors never quote the URL.
func client(cred step.Credential, d step.DialFunc) (*redis.Client, error) {
	if d == nil {
		return nil, queue.ErrNoDial
	}
	opt, err := redis.ParseURL(cred.Data["url"])
	if err != nil {
		return nil, errors.New("the connection's url must look like redis://host:6379/0")
	}
	if u := cred.Data["username"]; u != "" {
		opt.Username = u
	}
	if p := cred.Data["password"]; p != "" {
		opt.Password = p
	}
	// go-redis leaves TLS to a custom dialer: rediss:// is wrapped here.
	opt.Dialer = queue.WithTLS(d, opt.TLSConfig)
	opt.MaxRetries = -1 // the framework reconnects, and health sees it
	return redis.NewClient(opt), nil
}

// Consume implements queue.Consumer.
func (c *consumer) Consume(ctx context.Context, sink queue.Sink) error {
	rc, err := client(c.b.Credential, c.b.Dial)
	if err != nil {
		return err
	}
	defer rc.Close()
	defer sink.Wait() // acks go out before the client closes
	if err := rc.XGroupCreateMkStream(ctx, c.stream, c.group, "0").Err(); err != nil && !isBusyGroup(err) {
		return fmt.Errorf("creating group %q on stream %q: %w", c.group, c.stream, err)
	}
	sink.Connected()
	name := c.b.Owner
	var lastClaim, lastLag time.Time
	for ctx.Err() == nil {
		if time.Since(lastClaim) >= c.claimIdle/2 {
			if err := c.claim(ctx, rc, name, sink); err != nil {
				return err
			}
			lastClaim = time.Now()
		}
		if time.Since(lastLag) >= 5*time.Second {
			c.lag(ctx, rc, sink)
			lastLag = time.Now()
		}
		res, err := rc.XReadGroup(ctx, &redis.XReadGroupArgs{Group: c.group, Consumer: name,
			Streams: []string{c.stream, ">"}, Count: int64(c.b.Prefetch), Block: 2 * time.Second}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			return fmt.Errorf("reading stream %q: %w", c.stream, err)
		}
		for _, s := range res {
			for _, m := range s.Messages {
				sink.Deliver(ctx, c.delivery(rc, m, false))
			}
		}
	}
	return nil
}

// claim takes over entries that another consumer (a dead process) took
// and did not acknowledge within claim_idle.
func (c *consumer) claim(ctx context.Context, rc *redis.Client, name string, sink queue.Sink) error {
	start := "0-0"
	for range 100 { // bounded: at most 100 pages per round
		msgs, next, err := rc.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: c.stream, Group: c.group,
			MinIdle: c.claimIdle, Start: start, Count: int64(c.b.Prefetch), Consumer: name}).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("claiming idle entries of %q: %w", c.stream, err)
		}
		for _, m := range msgs {
			sink.Deliver(ctx, c.delivery(rc, m, true))
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
	return nil
}

func (c *consumer) lag(ctx context.Context, rc *redis.Client, sink queue.Sink) {
	groups, err := rc.XInfoGroups(ctx, c.stream).Result()
	if err != nil {
		return
	}
	for _, g := range groups {
		if g.Name == c.group {
			sink.Lag(g.Lag)
		}
	}
}

func (c *consumer) delivery(rc *redis.Client, m redis.XMessage, claimed bool) queue.Delivery {
	msg := queue.Message{ID: c.stream + ":" + m.ID, Headers: map[string]string{}, Redelivered: claimed,
		Meta: map[string]any{"stream": c.stream, "entry_id": m.ID}}
	for k, v := range m.Values {
		s := fmt.Sprint(v)
		switch k {
		case "body":
			msg.Body = []byte(s)
		case "message_id":
			msg.ID = s
		default:
			msg.Headers[k] = s
		}
	}
	return queue.Delivery{Message: msg, Settle: func(ctx context.Context, o queue.Outcome) error {
		switch o {
		case queue.Ack:
			return rc.XAck(ctx, c.stream, c.group, m.ID).Err()
		case queue.Requeue:
			return nil // stays pending; XAUTOCLAIM hands it out again
		default:
			_, err := rc.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.XAdd(ctx, &redis.XAddArgs{Stream: c.dead, Values: m.Values})
				p.XAck(ctx, c.stream, c.group, m.ID)
				return nil
			})
			return err
		}
	}}
}

func isBusyGroup(err error) bool {
	return err != nil && len(err.Error()) >= 9 && err.Error()[:9] == "BUSYGROUP"
}
