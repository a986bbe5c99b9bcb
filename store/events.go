package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// Events buffers correlated events (POST /api/v1/events, event.emit, resume
// URLs, approval decisions) and records which step waits for which. An
// event is taken by at most one waiting step; one that arrives before its
// wait starts stays buffered until it expires.
type Events interface {
	// PublishEvent stores ev. When ev.Dedupe is set and already held,
	// nothing is written and it returns weft.ErrDuplicate; when (Name, Key)
	// already buffers maxPerKey events nobody took, weft.ErrOverloaded. It
	// makes every unfinished execution with a wait on (Name, Key) due at
	// once (WakeAt = ev.CreatedAt) and returns their ids, so the caller can
	// also wake the ones running in its own process.
	PublishEvent(ctx context.Context, ev Event, maxPerKey int) (woken []string, err error)
	// PutEventWait records (or replaces) that a step waits for (Name, Key).
	PutEventWait(ctx context.Context, w EventWait) error
	// DeleteEventWait removes a step's wait; a missing one is not an error.
	DeleteEventWait(ctx context.Context, executionID, stepID string, item int) error
	// ListEventWaits lists waits on name (all names when empty), oldest first.
	ListEventWaits(ctx context.Context, name string, page Page) ([]EventWait, string, error)
	// GetEventWait returns one wait, or weft.ErrNotFound.
	GetEventWait(ctx context.Context, executionID, stepID string, item int) (EventWait, error)
	// PendingEvents lists events on (name, key) that nobody took and that
	// expire after now, oldest first, at most limit.
	PendingEvents(ctx context.Context, name, key string, now time.Time, limit int) ([]Event, error)
	// TakeEvent gives event id to consumer unless another consumer took it
	// first, and reports whether consumer holds it now (true again when
	// consumer had taken it before: a step run again after a crash).
	TakeEvent(ctx context.Context, id, consumer string, now time.Time) (bool, error)
	// TakenEvent returns the event consumer took, or weft.ErrNotFound.
	TakenEvent(ctx context.Context, consumer string) (Event, error)
	// PruneEvents deletes up to batch expired events and waits, and returns
	// how many rows it deleted.
	PruneEvents(ctx context.Context, now time.Time, batch int) (int, error)
}

// Event is one published event.
type Event struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Key correlates the event with the waits on the same key (an order
	// id); empty matches waits without a key.
	Key     string          `json:"key,omitempty"`
	Payload json.RawMessage `json:"payload"`
	// Dedupe, when set, makes a second publish with the same value a
	// weft.ErrDuplicate (a resume URL or an approval is used once).
	Dedupe    string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	TakenBy   string     `json:"taken_by,omitempty"`
	TakenAt   *time.Time `json:"taken_at,omitempty"`
}

// EventWait is a step waiting for events on (Name, Key).
type EventWait struct {
	ExecutionID string `json:"execution_id"`
	StepID      string `json:"step_id"`
	Item        int    `json:"item"`
	Workflow    string `json:"workflow"`
	Name        string `json:"name"`
	Key         string `json:"key,omitempty"`
	// Info is what the waiting step shows (an approval's message).
	Info      json.RawMessage `json:"info,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
}

// TakenEventKeep is how long a taken event is kept, so that a step run
// again after a crash finds the event it took.
const TakenEventKeep = 24 * time.Hour

// WaitPosition is the keyset position a ListEventWaits cursor encodes.
type WaitPosition struct {
	CreatedAt   time.Time
	ExecutionID string
	StepID      string
	Item        int
}

// WaitCursor encodes the position after w.
func WaitCursor(w EventWait) string {
	b, _ := json.Marshal([]any{w.CreatedAt.UnixMicro(), w.ExecutionID, w.StepID, w.Item})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseWaitCursor decodes a WaitCursor; the empty cursor is the start.
func ParseWaitCursor(c string) (WaitPosition, error) {
	if c == "" {
		return WaitPosition{CreatedAt: time.UnixMicro(0).UTC(), Item: -1 << 31}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	var v struct {
		micro int64
		exec  string
		step  string
		item  int
	}
	if err == nil {
		arr := []any{&v.micro, &v.exec, &v.step, &v.item}
		err = json.Unmarshal(b, &arr)
	}
	if err != nil {
		return WaitPosition{}, fmt.Errorf("bad cursor %q: %w", c, weft.ErrInvalid)
	}
	return WaitPosition{CreatedAt: time.UnixMicro(v.micro).UTC(), ExecutionID: v.exec, StepID: v.step, Item: v.item}, nil
}
