package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/weftworks/weft"
)

// CredentialRecord is a stored credential (a connection to an outside
// service). The store never sees a secret in the clear: Sealed and Token are
// encrypted by the credential package before they get here.
type CredentialRecord struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Sealed is the encrypted JSON of the credential's fields.
	Sealed []byte `json:"-"`
	// Settings is plain JSON of non-secret settings: allowed workflows and
	// hosts, limits, retry defaults, description.
	Settings json.RawMessage `json:"settings,omitempty"`
	// Token is the encrypted state of a derived token (OAuth 2.0 access and
	// refresh tokens); nil when none.
	Token     []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Credentials stores credentials. Names are unique.
type Credentials interface {
	// PutCredential creates or replaces rec.Name (keeping CreatedAt of a
	// replaced record, clearing its Token) and returns the stored record.
	PutCredential(ctx context.Context, rec CredentialRecord) (CredentialRecord, error)
	// GetCredential returns one credential (weft.ErrNotFound if absent).
	GetCredential(ctx context.Context, name string) (CredentialRecord, error)
	// ListCredentials returns every credential ordered by name.
	ListCredentials(ctx context.Context) ([]CredentialRecord, error)
	// DeleteCredential removes a credential (weft.ErrNotFound if absent).
	DeleteCredential(ctx context.Context, name string) error
	// SetCredentialToken replaces the sealed token state of a credential
	// (weft.ErrNotFound if absent).
	SetCredentialToken(ctx context.Context, name string, token []byte) error
	// UpdateCredentialToken calls fn with the credential's sealed token state
	// (nil when none) while holding it exclusively against every other
	// UpdateCredentialToken of the same name in any process sharing the
	// store, and stores what fn returns unless that is nil. fn may take a
	// while (an OAuth token request): it is how processes refresh a token
	// one at a time. When fn fails nothing is written and its error is
	// returned; weft.ErrNotFound if the credential is absent.
	UpdateCredentialToken(ctx context.Context, name string, fn func(token []byte) ([]byte, error)) error
	// ResealCredentials rewrites Sealed and Token of every credential with
	// fn in one transaction (master key rotation): all or nothing.
	ResealCredentials(ctx context.Context, fn func(rec *CredentialRecord) error) (int, error)
}

// Cache stores step results for `cache:` (shared by every process on
// PostgreSQL).
type Cache interface {
	// GetCached returns the value under key if it has not expired at now.
	GetCached(ctx context.Context, key string, now time.Time) (json.RawMessage, bool, error)
	// PutCached stores value under key until expiresAt (replacing any).
	PutCached(ctx context.Context, key string, value json.RawMessage, expiresAt time.Time) error
	// PruneCache deletes up to batch entries that expired before now and
	// returns how many it deleted.
	PruneCache(ctx context.Context, now time.Time, batch int) (int, error)
}

// LimiterStates keeps the state of shared rate limiters, one opaque JSON
// document per key, so that every process sharing a database shares a
// budget.
type LimiterStates interface {
	// UpdateLimiterState reads the state under key (nil if none), calls fn
	// and stores what fn returns, atomically with respect to every other
	// UpdateLimiterState on the same key in any process. When fn fails,
	// nothing is written and its error is returned.
	UpdateLimiterState(ctx context.Context, key string, fn func(state []byte) ([]byte, error)) error
}

// EncodeHistory is how stores keep weft.StepRun.History: JSON, nil when
// empty.
func EncodeHistory(h []weft.Attempt) []byte {
	if len(h) == 0 {
		return nil
	}
	b, _ := json.Marshal(h)
	return b
}

// DecodeHistory reads what EncodeHistory wrote (nil on empty or bad input:
// the history is informational and never blocks reading a step run).
func DecodeHistory(b []byte) []weft.Attempt {
	if len(b) == 0 {
		return nil
	}
	var h []weft.Attempt
	if json.Unmarshal(b, &h) != nil {
		return nil
	}
	return h
}

// EncodeRetries serializes an execution's earlier runs for storage (nil
// when there are none).
func EncodeRetries(p []weft.PriorRun) []byte {
	if len(p) == 0 {
		return nil
	}
	b, _ := json.Marshal(p)
	return b
}

// DecodeRetries reads what EncodeRetries wrote (nil on empty or bad input:
// the record is informational and never blocks reading an execution).
func DecodeRetries(b []byte) []weft.PriorRun {
	if len(b) == 0 {
		return nil
	}
	var p []weft.PriorRun
	if json.Unmarshal(b, &p) != nil {
		return nil
	}
	return p
}
