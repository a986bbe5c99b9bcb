// Package queuekafka is the Kafka broker of queue triggers and
// queue.publish, on github.com/twmb/franz-go.
//
// A binding is a member of a consumer group (default weft-<workflow>);
// every Weft process joins the same group, so Kafka assigns each partition
// to one of them. Offsets are committed only after every record of a poll
// is on disk as an execution (auto-commit is off, and a rebalance waits for
// the commit: BlockRebalanceOnPoll), so a crash re-reads at most one poll,
// which the store's dedupe on topic/partition/offset absorbs. With
// `ordered: true` the records of one partition start their executions one
// at a time, in offset order. Kafka cannot requeue one record: a transient
// failure is retried in place until it succeeds; a refused record is
// logged and committed past (Kafka has no dead-letter queue of its own).
package queuekafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// Broker is the Kafka broker.
type Broker struct{}

var _ queue.Broker = Broker{}

// Name implements queue.Broker.
func (Broker) Name() string { return spec.Kafka }

// CredentialType implements queue.Broker.
func (Broker) CredentialType() string { return spec.CredentialType(spec.Kafka) }

// Consumer implements queue.Broker.
func (Broker) Consumer(b queue.Binding) (queue.Consumer, error) {
	o := b.Trigger.Options
	c := &consumer{b: b, topics: spec.Strings(o, "topics"), group: spec.String(o, "group"), ordered: spec.Bool(o, "ordered"), start: spec.String(o, "start")}
	if c.group == "" {
		c.group = "weft-" + b.Workflow
	}
	return c, nil
}

type consumer struct {
	b       queue.Binding
	topics  []string
	group   string
	ordered bool
	start   string
}

// clientOpts are the connection options of a credential.
func clientOpts(cred step.Credential, d step.DialFunc) ([]kgo.Opt, error) {
	if d == nil {
		return nil, queue.ErrNoDial
	}
	var seeds []string
	for _, s := range strings.Split(cred.Data["brokers"], ",") {
		if s = strings.TrimSpace(s); s != "" {
			seeds = append(seeds, s)
		}
	}
	if len(seeds) == 0 {
		return nil, errors.New("the connection's brokers list is empty; give host:port[,host:port]")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...)}
	if u := cred.Data["username"]; u != "" {
		p := cred.Data["password"]
		switch cred.Data["sasl"] {
		case "scram-sha-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: u, Pass: p}.AsSha256Mechanism()))
		case "scram-sha-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: u, Pass: p}.AsSha512Mechanism()))
		default:
			opts = append(opts, kgo.SASL(plain.Auth{User: u, Pass: p}.AsMechanism()))
		}
	}
	var tlsCfg *tls.Config
	if cred.Data["tls"] == "true" || cred.Data["ca"] != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if pem := cred.Data["ca"]; pem != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(pem)) {
				return nil, errors.New("the connection's ca holds no PEM certificate")
			}
			cfg.RootCAs = pool
		}
		tlsCfg = cfg
	}
	// franz-go takes either a dialer or a TLS config: TLS is wrapped
	// around the SSRF-guarded dialer here.
	return append(opts, kgo.Dialer(queue.WithTLS(d, tlsCfg))), nil
}

// Consume implements queue.Consumer.
func (c *consumer) Consume(ctx context.Context, sink queue.Sink) error {
	opts, err := clientOpts(c.b.Credential, c.b.Dial)
	if err != nil {
		return err
	}
	hook := &dropHook{sink: sink}
	reset := kgo.NewOffset().AtStart()
	if c.start == "latest" {
		reset = kgo.NewOffset().AtEnd()
	}
	opts = append(opts, kgo.ConsumerGroup(c.group), kgo.ConsumeTopics(c.topics...), kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(), kgo.ConsumeResetOffset(reset), kgo.FetchMaxWait(time.Second),
		// A member that died (kill -9) holds its partitions until its
		// session expires: 10s rather than the default 45s.
		kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(time.Second), kgo.RebalanceTimeout(30*time.Second),
		kgo.ClientID("weft-"+c.b.Owner), kgo.WithHooks(hook))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	// A poll blocks rebalances until AllowRebalance; closing must allow
	// them or leaving the group waits forever.
	defer cl.CloseAllowingRebalance()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = cl.Ping(pctx)
	cancel()
	if err != nil {
		return fmt.Errorf("reaching Kafka: %w", err)
	}
	sink.Connected()
	for {
		fetches := cl.PollRecords(ctx, c.b.Prefetch)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			for _, fe := range errs {
				if !errors.Is(fe.Err, context.Canceled) {
					cl.AllowRebalance()
					return fmt.Errorf("fetching %s[%d]: %w", fe.Topic, fe.Partition, fe.Err)
				}
			}
		}
		hook.recovered()
		var lag int64
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if n := len(p.Records); n > 0 {
				lag += p.HighWatermark - p.Records[n-1].Offset - 1
			}
		})
		recs := fetches.Records()
		if len(recs) > 0 {
			sink.Lag(lag)
		}
		if !c.handle(ctx, sink, recs) {
			return nil // stopping: nothing of this poll is committed
		}
		if len(recs) > 0 {
			if err := cl.CommitRecords(ctx, recs...); err != nil {
				cl.AllowRebalance()
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("committing offsets: %w", err)
			}
		}
		cl.AllowRebalance()
	}
}

// handle turns every record of a poll into an execution, per partition in
// order when ordered is set, else up to the prefetch at once. It reports
// false when ctx ended before all were on disk.
func (c *consumer) handle(ctx context.Context, sink queue.Sink, recs []*kgo.Record) bool {
	byPart := map[string][]*kgo.Record{}
	for _, r := range recs {
		k := r.Topic + "/" + strconv.Itoa(int(r.Partition))
		byPart[k] = append(byPart[k], r)
	}
	slots := make(chan struct{}, c.b.Prefetch)
	var wg sync.WaitGroup
	one := func(r *kgo.Record) {
		for {
			if sink.Handle(ctx, message(r)) != queue.Requeue {
				return // Ack, or refused (logged by the framework) and skipped
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
	for _, part := range byPart {
		if c.ordered {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, r := range part {
					if ctx.Err() != nil {
						return
					}
					one(r)
				}
			}()
			continue
		}
		for _, r := range part {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return false
			}
			wg.Add(1)
			go func() { defer func() { <-slots; wg.Done() }(); one(r) }()
		}
	}
	wg.Wait()
	return ctx.Err() == nil
}

// dropHook reports connections franz-go lost (it reconnects by itself, so
// the consumer would not notice): a read that failed on a live client.
type dropHook struct {
	sink    queue.Sink
	dropped atomic.Bool
}

var _ kgo.HookBrokerRead = (*dropHook)(nil)

func (h *dropHook) OnBrokerRead(meta kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
		return
	}
	if h.dropped.CompareAndSwap(false, true) {
		h.sink.Dropped(fmt.Errorf("connection to Kafka broker %s:%d lost: %w", meta.Host, meta.Port, err))
	}
}

// recovered reports a healthy poll after a drop.
func (h *dropHook) recovered() {
	if h.dropped.CompareAndSwap(true, false) {
		h.sink.Connected()
	}
}

func message(r *kgo.Record) queue.Message {
	m := queue.Message{
		ID: r.Topic + "/" + strconv.Itoa(int(r.Partition)) + "/" + strconv.FormatInt(r.Offset, 10), Body: r.Value,
		Headers: map[string]string{},
		Meta:    map[string]any{"topic": r.Topic, "partition": r.Partition, "offset": r.Offset, "key": string(r.Key)},
	}
	for _, h := range r.Headers {
		if h.Key == "message_id" {
			m.ID = string(h.Value)
			continue
		}
		m.Headers[h.Key] = string(h.Value)
	}
	return m
}
