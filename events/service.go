package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/oklog/ulid/v2"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
)

// Limits bound what the event buffer holds.
type Limits struct {
	// TTL is how long an event nobody took stays buffered (default 24h).
	TTL time.Duration
	// MaxPerKey bounds the events buffered per (name, key) that nobody
	// took; one more is refused with weft.ErrOverloaded (default 100).
	MaxPerKey int
	// MaxPayload bounds an event's payload in bytes (default 256 KiB).
	MaxPayload int
}

// Name and key lengths; longer ones are refused.
const (
	MaxNameLen = 200
	MaxKeyLen  = 500
)

// WithDefaults fills zero limits.
func (l Limits) WithDefaults() Limits {
	if l.TTL <= 0 {
		l.TTL = 24 * time.Hour
	}
	if l.MaxPerKey <= 0 {
		l.MaxPerKey = 100
	}
	if l.MaxPayload <= 0 {
		l.MaxPayload = 256 << 10
	}
	return l
}

// Store is what the service needs from storage.
type Store interface {
	store.Events
	GetExecution(ctx context.Context, id string) (weft.Execution, error)
}

// Config configures a Service.
type Config struct {
	Store  Store
	Logger *slog.Logger
	// Secret keys the resume URLs' MACs; every process on a database must
	// share it (Wire keeps it in the store's settings).
	Secret []byte
	// BaseURL is the public address resume URLs start with, e.g.
	// https://weft.example.com.
	BaseURL string
	Limits  Limits
	// Wake is told which executions an event made due, to wake the ones
	// running in this process at once.
	Wake func(ids []string)
	Now  func() time.Time
}

// Service implements step.Events and the API's publish, resume and decide.
type Service struct {
	cfg Config
	log *slog.Logger
}

var _ step.Events = (*Service)(nil)

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("events: Config.Store is required")
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("events: Config.Secret must hold at least 16 bytes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wake == nil {
		cfg.Wake = func([]string) {}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.Limits = cfg.Limits.WithDefaults()
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits { return s.cfg.Limits }

// checkName refuses names and keys a store or a log line should not hold.
func checkName(what, v string, limit int, empty bool) error {
	if v == "" && !empty {
		return fmt.Errorf("event %s is empty: %w", what, weft.ErrInvalid)
	}
	if len(v) > limit {
		return fmt.Errorf("event %s is %d bytes, more than the limit of %d: %w", what, len(v), limit, weft.ErrInvalid)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("event %s holds control characters: %w", what, weft.ErrInvalid)
	}
	return nil
}

// Publish implements step.Events: the API's POST /api/v1/events and the
// event.emit step.
func (s *Service) Publish(ctx context.Context, name, key string, payload json.RawMessage) (step.Event, error) {
	if err := checkName("name", name, MaxNameLen, false); err != nil {
		return step.Event{}, err
	}
	if name == step.EventResume || name == step.EventApproval {
		return step.Event{}, fmt.Errorf("event name %q is reserved for resume URLs and approvals; use another name: %w", name, weft.ErrInvalid)
	}
	return s.publish(ctx, name, key, payload, "")
}

func (s *Service) publish(ctx context.Context, name, key string, payload json.RawMessage, dedupe string) (step.Event, error) {
	if err := checkName("key", key, MaxKeyLen, true); err != nil {
		return step.Event{}, err
	}
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	if len(payload) > s.cfg.Limits.MaxPayload {
		return step.Event{}, fmt.Errorf("event payload is %d bytes, more than the limit of %d (--event-max-payload): %w",
			len(payload), s.cfg.Limits.MaxPayload, weft.ErrInvalid)
	}
	if !json.Valid(payload) {
		return step.Event{}, fmt.Errorf("event payload is not valid JSON: %w", weft.ErrInvalid)
	}
	now := s.cfg.Now().UTC()
	ev := store.Event{ID: ulid.Make().String(), Name: name, Key: key, Payload: payload, Dedupe: dedupe,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.Limits.TTL)}
	woken, err := s.cfg.Store.PublishEvent(ctx, ev, s.cfg.Limits.MaxPerKey)
	if errors.Is(err, weft.ErrOverloaded) {
		return step.Event{}, fmt.Errorf("%d events on %q (key %q) are already buffered and not taken by any waiting step (--event-buffer); "+
			"they expire after %s: %w", s.cfg.Limits.MaxPerKey, name, key, s.cfg.Limits.TTL, weft.ErrOverloaded)
	}
	if err != nil {
		return step.Event{}, err
	}
	s.cfg.Wake(woken)
	return step.Event{ID: ev.ID, Name: name, Key: key, Payload: payload, CreatedAt: now}, nil
}

// Wait implements step.Events.
func (s *Service) Wait(ctx context.Context, req *step.Request, w step.Wait) error {
	var info json.RawMessage
	if w.Info != nil {
		b, err := json.Marshal(w.Info)
		if err != nil {
			return fmt.Errorf("encoding wait info: %w", err)
		}
		info = b
	}
	return s.cfg.Store.PutEventWait(ctx, store.EventWait{ExecutionID: req.ExecutionID, StepID: req.StepID, Item: req.Item,
		Workflow: req.Workflow, Name: w.Name, Key: w.Key, Info: info, CreatedAt: s.cfg.Now().UTC(), ExpiresAt: w.Expires.UTC()})
}

// Done implements step.Events.
func (s *Service) Done(ctx context.Context, req *step.Request) error {
	return s.cfg.Store.DeleteEventWait(ctx, req.ExecutionID, req.StepID, req.Item)
}

// Take implements step.Events. The consumer is the step run's idempotency
// key, so a step run again after a crash gets the event it took.
func (s *Service) Take(ctx context.Context, req *step.Request, name, key string, accept func(any) (bool, error)) (step.Event, bool, error) {
	consumer := req.IdempotencyKey
	if ev, err := s.cfg.Store.TakenEvent(ctx, consumer); err == nil {
		return toStep(ev), true, nil
	} else if !errors.Is(err, weft.ErrNotFound) {
		return step.Event{}, false, err
	}
	pending, err := s.cfg.Store.PendingEvents(ctx, name, key, s.cfg.Now().UTC(), s.cfg.Limits.MaxPerKey)
	if err != nil {
		return step.Event{}, false, err
	}
	for _, ev := range pending {
		if accept != nil {
			var payload any
			if err := json.Unmarshal(ev.Payload, &payload); err != nil {
				continue
			}
			ok, err := accept(payload)
			if err != nil {
				// One odd event must not fail every wait on the key.
				s.log.Warn("event match failed; the event is skipped for this step", "execution_id", req.ExecutionID,
					"step", req.StepID, "event", ev.ID, "err", err)
				continue
			}
			if !ok {
				continue
			}
		}
		took, err := s.cfg.Store.TakeEvent(ctx, ev.ID, consumer, s.cfg.Now().UTC())
		if err != nil {
			return step.Event{}, false, err
		}
		if took {
			return toStep(ev), true, nil
		}
	}
	return step.Event{}, false, nil
}

func toStep(ev store.Event) step.Event {
	return step.Event{ID: ev.ID, Name: ev.Name, Key: ev.Key, Payload: ev.Payload, CreatedAt: ev.CreatedAt}
}

// Run prunes expired events and waits every minute until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		for {
			n, err := s.cfg.Store.PruneEvents(ctx, s.cfg.Now().UTC(), 500)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("pruning expired events", "err", err)
				}
				break
			}
			if n < 500 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
