package store

import (
	"context"
	"encoding/json"
	"time"
)

// Delivery outcomes: what the webhook trigger did with a request.
const (
	OutcomeAccepted     = "accepted"      // stored and started an execution
	OutcomeDuplicate    = "duplicate"     // a repeat of a delivery already accepted
	OutcomeRejected     = "rejected"      // failed verification (401)
	OutcomeForbidden    = "forbidden"     // source IP not allowed (403)
	OutcomeRateLimited  = "rate_limited"  // over the webhook's rate limit (429)
	OutcomeTooLarge     = "too_large"     // body over the limit (413)
	OutcomeBadRequest   = "bad_request"   // unreadable or malformed body (400)
	OutcomeBadMethod    = "bad_method"    // wrong method (405)
	OutcomeOverloaded   = "overloaded"    // shed under load (503)
	OutcomeChallenge    = "challenge"     // a verified handshake answered in place (Slack url_verification)
	OutcomeIgnored      = "ignored"       // verified, but an event type the webhook's events: leaves out (200)
	OutcomeError        = "error"         // could not be stored (5xx)
	OutcomeReplayed     = "replayed"      // started again from the delivery log
	OutcomeNotListening = "not_listening" // no enabled workflow on the path (404)
)

// WebhookDelivery is one request to /hooks/…, as the delivery log shows it.
// It never holds a secret: the credential's secrets are not recorded, and
// the headers in Request are the trigger input's (credentials redacted).
type WebhookDelivery struct {
	ID         string    `json:"id"`
	Workflow   string    `json:"workflow,omitempty"`
	Path       string    `json:"path"`
	ReceivedAt time.Time `json:"received_at"`
	SourceIP   string    `json:"source_ip,omitempty"`
	Method     string    `json:"method"`
	// Status is the HTTP status returned to the caller.
	Status  int    `json:"status"`
	Outcome string `json:"outcome"`
	// Reason says why a request was refused (e.g. "stripe: stale_timestamp:
	// timestamp is 7m0s old"); empty when accepted.
	Reason string `json:"reason,omitempty"`
	// Scheme and KeyID say how the request was verified; empty when the
	// webhook has no verify block or verification failed.
	Scheme string `json:"scheme,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
	// DedupeKey is the delivery id used for dedupe; ExecutionID the
	// execution started (or, for a duplicate, the first one).
	DedupeKey   string `json:"dedupe_key,omitempty"`
	ExecutionID string `json:"execution_id,omitempty"`
	// Request is the trigger input of a request that started no execution
	// and whose body was small enough to keep, so it can be replayed. An
	// accepted delivery is replayed from its execution's input instead.
	Request json.RawMessage `json:"request,omitempty"`
}

// DeliveryOutcomeIndexTerm is the condition of both stores'
// webhook_deliveries_outcome index (migration 0015): accepted deliveries,
// nearly every row and the one written per request, are left out of it. A
// query filtering on another outcome repeats the term word for word, so the
// planner may use that index (see StatusIndexTerm); a query for accepted
// deliveries walks the primary key or the workflow index newest first,
// where nearly every row matches.
const DeliveryOutcomeIndexTerm = "outcome <> 'accepted'"

// DeliveryFilter narrows ListDeliveries. Results are newest first.
type DeliveryFilter struct {
	Workflow string
	Outcome  string
	Page
}

// DeferredDeliveryLog writes delivery log rows together with the store's
// next write instead of in a commit of their own where the store can (on
// SQLite, in the next execution write's transaction), and at once where it
// cannot (PostgreSQL, whose flush is one statement). It returns once the
// rows are stored, like RecordDeliveries, possibly later. Every
// WebhookDeliveries has it, so no caller discovers it by type assertion.
type DeferredDeliveryLog interface {
	RecordDeliveriesDeferred(ctx context.Context, ds []WebhookDelivery) error
}

// WebhookDeliveries is the delivery log.
type WebhookDeliveries interface {
	// RecordDeliveries appends deliveries (ids are unique, time-ordered).
	RecordDeliveries(ctx context.Context, ds []WebhookDelivery) error
	DeferredDeliveryLog
	// ListDeliveries lists deliveries newest first.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]WebhookDelivery, string, error)
	// GetDelivery returns one delivery (weft.ErrNotFound if absent).
	GetDelivery(ctx context.Context, id string) (WebhookDelivery, error)
	// PruneDeliveries deletes deliveries received before `before` among the
	// batch oldest by id, and returns how many it deleted. Ids are
	// time-ordered, so these are the oldest deliveries and a caller prunes
	// everything old by calling it until it returns 0; the log needs no
	// index on received_at for it (migration 0015).
	PruneDeliveries(ctx context.Context, before time.Time, batch int) (int, error)
}

// Subscription is an outbound webhook endpoint: Weft posts the events that
// match its filter, signed per the Standard Webhooks spec.
type Subscription struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events filters by event type (execution.succeeded, execution.failed,
	// execution.canceled; "*" or empty for all); Workflows by workflow name
	// (empty for all).
	Events      []string `json:"events"`
	Workflows   []string `json:"workflows"`
	Description string   `json:"description,omitempty"`
	// Secret is the signing secret as the caller of the store gives it
	// (sealed by the outbound package when a keyring is configured).
	Secret  []byte `json:"-"`
	Enabled bool   `json:"enabled"`
	// DisabledReason says why Weft disabled the endpoint.
	DisabledReason string     `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	LastSuccessAt  *time.Time `json:"last_success_at,omitempty"`
	// FailingSince is the first failed delivery since the last success.
	FailingSince *time.Time `json:"failing_since,omitempty"`
}

// Subscriptions stores outbound webhook endpoints.
type Subscriptions interface {
	// PutSubscription creates or replaces s.ID and returns it as stored.
	PutSubscription(ctx context.Context, s Subscription) (Subscription, error)
	// GetSubscription returns one (weft.ErrNotFound if absent).
	GetSubscription(ctx context.Context, id string) (Subscription, error)
	// ListSubscriptions returns every subscription ordered by id.
	ListSubscriptions(ctx context.Context) ([]Subscription, error)
	// DeleteSubscription removes one (weft.ErrNotFound if absent).
	DeleteSubscription(ctx context.Context, id string) error
	// RecordSubscriptionResult notes a final delivery outcome: a success sets
	// LastSuccessAt and clears FailingSince; a failure sets FailingSince if
	// unset. It returns the subscription as updated.
	RecordSubscriptionResult(ctx context.Context, id string, ok bool, at time.Time) (Subscription, error)
	// DisableSubscription sets Enabled false with a reason.
	DisableSubscription(ctx context.Context, id, reason string, at time.Time) error
}
