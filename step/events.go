package step

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/weftworks/weft"
)

// Reserved event names: a resume URL's POST and an approval decision are
// published as events on these names, keyed by ResumeKey.
const (
	EventResume   = "resume"
	EventApproval = "approval"
)

// ResumeKey is the correlation key of a step's resume URL and approval
// decisions: one per execution, step and for_each item (item is
// weft.WholeStep for a step without for_each), so each item of a for_each
// is resumed and decided on its own.
func ResumeKey(executionID, stepID string, item int) string {
	if item == weft.WholeStep {
		return executionID + "/" + stepID
	}
	return executionID + "/" + stepID + "/" + strconv.Itoa(item)
}

// Events is what a step may do with events: wait for them without holding
// a worker, take one, publish one.
type Events interface {
	// Wait records that the calling step waits for events on (name, key)
	// until expires, so that a publish wakes its execution at once in any
	// process. info is shown where waits are listed (an approval's
	// message). Calling it again replaces the record.
	Wait(ctx context.Context, req *Request, w Wait) error
	// Take returns the event this step took before (a run again after a
	// crash), or takes the oldest pending event on (name, key) that accept
	// accepts (nil accepts all). ok is false when there is none yet.
	Take(ctx context.Context, req *Request, name, key string, accept func(payload any) (bool, error)) (ev Event, ok bool, err error)
	// Done removes the calling step's wait record.
	Done(ctx context.Context, req *Request) error
	// Publish publishes an event and wakes the steps waiting for it.
	Publish(ctx context.Context, name, key string, payload json.RawMessage) (Event, error)
	// ResumeURL is the URL that resumes the step, or one item of a
	// for_each step (item weft.WholeStep: the step; see Spec.Resumable).
	ResumeURL(executionID, stepID string, item int) string
}

// Wait describes what a step waits for.
type Wait struct {
	Name, Key string
	Expires   time.Time
	Info      any
}

// Event is an event a step took or published.
type Event struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Key       string          `json:"key,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"received_at"`
}
