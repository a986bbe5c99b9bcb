package weft

import "time"

// Registration states of a webhook subscription at its provider.
const (
	RegistrationPending    = "pending"
	RegistrationRegistered = "registered"
	RegistrationError      = "error"
)

// WebhookRegistration is the state of one workflow's webhook subscription
// at its provider (on.webhook.register), shared by every process on the
// database.
type WebhookRegistration struct {
	Workflow string `json:"workflow"`
	// Provider is the preset's app (stripe, github).
	Provider string `json:"provider"`
	// Spec is the subscription last asked for (JSON: connection, url,
	// events, repo); the registrar compares it with the workflow's.
	Spec string `json:"-"`
	// URL is the address registered at the provider.
	URL string `json:"url,omitempty"`
	// Events are the event types subscribed to.
	Events []string `json:"events,omitempty"`
	// State is pending, registered or error.
	State string `json:"state"`
	// EndpointID is the provider's id of the endpoint (we_…, a hook id).
	EndpointID string `json:"endpoint_id,omitempty"`
	LastError  string `json:"last_error,omitempty"`
	Attempts   int    `json:"attempts"`
	// NextAttemptAt is when the registrar tries again after an error.
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	ClaimOwner    string     `json:"-"`
	ClaimUntil    *time.Time `json:"-"`
	UpdatedAt     time.Time  `json:"updated_at"`
}
