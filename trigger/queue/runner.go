package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/trigger/queue/spec"
)

// runner owns the consumer of one binding: it connects, consumes, and
// reconnects with backoff until stopped.
type runner struct {
	m      *Manager
	wf     Workflow
	index  int
	t      weft.QueueTrigger
	log    *slog.Logger
	health *health
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *Manager) newRunner(wf Workflow, i int, t weft.QueueTrigger) *runner {
	return &runner{
		m: m, wf: wf, index: i, t: t,
		log:    m.cfg.Logger.With("workflow", wf.Name, "broker", t.Broker, "connection", t.Connection, "binding", i),
		health: newHealth(wf.Name, i, t, m.cfg.Metrics),
		done:   make(chan struct{}),
	}
}

func (r *runner) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.loop(ctx)
	}()
}

func (r *runner) stop() {
	r.cancel()
	<-r.done
	r.health.forget()
}

func (r *runner) loop(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		began := r.m.cfg.Now()
		err := r.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("consumer stopped")
		}
		r.health.disconnected(err, r.m.cfg.Now())
		r.log.Warn("queue consumer disconnected; reconnecting", "err", err)
		// A session that stayed up a while starts the backoff afresh.
		if r.m.cfg.Now().Sub(began) > r.m.cfg.MaxBackoff {
			attempt = 0
		}
		d := backoff(r.m.cfg.MinBackoff, r.m.cfg.MaxBackoff, attempt)
		attempt++
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// backoff is exponential with full jitter: a random delay in [lo, lo·2^n],
// capped at hi, so a cluster that lost its broker does not reconnect in
// lock step.
func backoff(lo, hi time.Duration, attempt int) time.Duration {
	ceil := lo << min(attempt, 20)
	if ceil > hi || ceil <= 0 {
		ceil = hi
	}
	return lo + rand.N(ceil-lo+1)
}

// session resolves the connection, builds the consumer and consumes until
// it fails.
func (r *runner) session(ctx context.Context) error {
	b, ok := r.m.brokers[r.t.Broker]
	if !ok {
		return fmt.Errorf("broker %q is not available in this build", r.t.Broker)
	}
	cred, err := r.m.cfg.Connections.Get(ctx, r.wf.Name, r.t.Connection)
	if err != nil {
		return fmt.Errorf("connection %q: %w", r.t.Connection, err)
	}
	if cred.Type != b.CredentialType() {
		return fmt.Errorf("connection %q is of type %s; a %s binding needs a connection of type %s", r.t.Connection, cred.Type, r.t.Broker, b.CredentialType())
	}
	bind := Binding{Workflow: r.wf.Name, Index: r.index, Trigger: r.t, Credential: cred,
		Dial: Dial(r.m.cfg.Connections, r.wf.Name, r.t.Connection), Prefetch: prefetch(r.wf, r.t.Options), Owner: r.m.cfg.Owner, Node: r.m.cfg.Node}
	c, err := b.Consumer(bind)
	if err != nil {
		return err
	}
	s := &sink{r: r, slots: make(chan struct{}, bind.Prefetch), max: spec.Int(r.t.Options, "max_message_bytes")}
	err = c.Consume(ctx, s)
	s.Wait()
	return err
}

// sink is the framework side of one consumer session.
type sink struct {
	r     *runner
	slots chan struct{}
	wg    sync.WaitGroup
	max   int

	mu      sync.Mutex
	waiting bool // Wait was called: Deliver takes nothing more
}

var _ Sink = (*sink)(nil)

func (s *sink) Connected()  { s.r.health.connected(s.r.m.cfg.Now()) }
func (s *sink) Lag(n int64) { s.r.health.lag(n) }
func (s *sink) Dropped(err error) {
	s.r.health.disconnected(err, s.r.m.cfg.Now())
	s.r.log.Warn("queue consumer lost a connection; the client reconnects", "err", err)
}

// Wait returns once every delivery taken is settled. A client that delivers
// from a goroutine of its own (paho) can still hand over a message while the
// consumer stops; from the start of Wait on, Deliver leaves such a message
// unsettled for the broker to send again, rather than starting it while
// Wait returns.
func (s *sink) Wait() {
	s.mu.Lock()
	s.waiting = true
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *sink) Deliver(ctx context.Context, d Delivery) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return // unsettled: the broker redelivers it
	}
	s.mu.Lock()
	if s.waiting {
		s.mu.Unlock()
		<-s.slots
		return // unsettled: the broker redelivers it
	}
	s.wg.Add(1)
	s.mu.Unlock()
	s.r.health.inFlight(1)
	go func() {
		defer func() { <-s.slots; s.r.health.inFlight(-1); s.wg.Done() }()
		o := s.Handle(ctx, d.Message)
		if o == Requeue {
			// Hold the slot a moment, so a failing store is not hammered
			// by the same messages coming straight back.
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil && o != Ack {
			return
		}
		// Settle with a context of its own: an execution that is on disk
		// should be acknowledged even while the binding stops.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := d.Settle(sctx, o); err != nil {
			s.r.log.Warn("settling a message failed; the broker will redeliver it (the execution is not repeated)", "outcome", o.String(), "err", err)
		}
	}()
}

// Handle creates the execution for m and says how to settle it.
func (s *sink) Handle(ctx context.Context, m Message) Outcome {
	r := s.r
	now := r.m.cfg.Now()
	r.health.message(now)
	if s.max > 0 && len(m.Body) > s.max {
		r.log.Warn("message refused: larger than max_message_bytes", "bytes", len(m.Body), "max_message_bytes", s.max, "message_id", m.ID)
		return r.refuse()
	}
	id := m.ID
	if id == "" {
		sum := sha256.Sum256(m.Body)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	input, err := messageInput(r.t.Broker, id, m)
	if err != nil {
		r.log.Warn("message refused", "err", err, "message_id", id)
		return r.refuse()
	}
	_, dup, err := r.m.cfg.Starter.Start(ctx, StartRequest{
		Workflow: r.wf.Name, Input: input,
		DedupeScope: "queue:" + r.wf.Name,
		DedupeKey:   r.t.Broker + ":" + r.t.Connection + ":" + id,
		DedupeUntil: now.Add(r.m.cfg.DedupeTTL),
	})
	switch {
	case err == nil && dup:
		r.health.outcome("duplicate")
		return Ack
	case err == nil:
		r.health.outcome("started")
		return Ack
	case ctx.Err() != nil:
		return Requeue
	case errors.Is(err, weft.ErrNotFound) || errors.Is(err, weft.ErrInvalid):
		r.log.Warn("message refused: the workflow cannot start", "err", err, "message_id", id)
		return r.refuse()
	default:
		r.health.failed(err, now)
		r.health.outcome("requeued")
		r.log.Error("starting an execution failed; the message goes back to the broker", "err", err, "message_id", id)
		return Requeue
	}
}

// refuse applies on_refusal.
func (r *runner) refuse() Outcome {
	switch spec.String(r.t.Options, "on_refusal") {
	case spec.RefuseRequeue:
		r.health.outcome("requeued")
		return Requeue
	case spec.RefuseDrop:
		r.health.outcome("dropped")
		return Ack
	default:
		r.health.outcome("dead_lettered")
		return DeadLetter
	}
}

// messageInput is the execution's trigger input: the body (decoded when it
// is JSON, else text, else base64), headers, the message id and the
// broker's own facts.
func messageInput(broker, id string, m Message) (json.RawMessage, error) {
	in := map[string]any{}
	for k, v := range m.Meta {
		in[k] = v
	}
	in["broker"] = broker
	in["message_id"] = id
	in["redelivered"] = m.Redelivered
	headers := m.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	in["headers"] = headers
	switch {
	case json.Valid(m.Body):
		in["body"] = json.RawMessage(m.Body)
	case utf8.Valid(m.Body):
		in["body"] = string(m.Body)
	default:
		in["body"] = m.Body // []byte marshals as base64
		in["body_encoding"] = "base64"
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encoding message: %w", err)
	}
	return b, nil
}
