package store

import (
	"context"
	"time"
)

// Alert states.
const (
	AlertOK     = "ok"
	AlertFiring = "firing"
)

// AlertState is where an alert rule stands, shared by every process on the
// database. Owner and LeaseUntil say which process evaluates the rule: one
// at a time, taken over when its lease lapses (the process stopped).
type AlertState struct {
	Name  string  `json:"name"`
	State string  `json:"state"` // AlertOK or AlertFiring
	Value float64 `json:"value"`
	// Since is when the state last changed; NotifiedAt when the notify
	// workflow last ran for it; EvaluatedAt the last evaluation.
	Since       *time.Time `json:"since,omitempty"`
	NotifiedAt  *time.Time `json:"notified_at,omitempty"`
	EvaluatedAt *time.Time `json:"evaluated_at,omitempty"`
	Owner       string     `json:"owner,omitempty"`
	LeaseUntil  *time.Time `json:"lease_until,omitempty"`
}

// Alerts stores alert states and the rules created through the API.
type Alerts interface {
	// ClaimAlert leases the alert to owner until now+lease when nobody
	// holds it, its lease lapsed or owner holds it already, and returns its
	// state (State "ok" for a new alert). ok is false, with no error, when
	// another process holds it.
	ClaimAlert(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (st AlertState, ok bool, err error)
	// SaveAlertState stores what the owner evaluated; weft.ErrLeaseLost
	// when owner no longer holds the alert.
	SaveAlertState(ctx context.Context, st AlertState, owner string) error
	// ListAlertStates returns every alert's state ordered by name.
	ListAlertStates(ctx context.Context) ([]AlertState, error)
	// PutAlertRule creates or replaces a rule (its JSON document) made in
	// the console or the API; DeleteAlertRule removes one (weft.ErrNotFound
	// if absent) and its state; ListAlertRules returns them by name.
	PutAlertRule(ctx context.Context, name string, doc []byte, now time.Time) error
	DeleteAlertRule(ctx context.Context, name string) error
	ListAlertRules(ctx context.Context) (map[string][]byte, error)
}
