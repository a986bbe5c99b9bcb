package credential

import (
	"context"
	"time"
)

// Status is what this process knows about a connection's health.
type Status struct {
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastFailure *time.Time `json:"last_failure,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	// TokenExpiry is when the cached OAuth 2.0 access token expires.
	TokenExpiry *time.Time `json:"token_expiry,omitempty"`
}

// Report records the outcome of a call made with a connection (nil: it
// succeeded). Connectors call it after each request.
func (v *Vault) Report(name string, err error) {
	if err == nil {
		v.succeeded(name)
		return
	}
	v.failed(name, err)
}

func (v *Vault) succeeded(name string) {
	now := v.cfg.Now().UTC()
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.statusLocked(name)
	s.LastSuccess = &now
}

func (v *Vault) failed(name string, err error) {
	now := v.cfg.Now().UTC()
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.statusLocked(name)
	s.LastFailure = &now
	s.LastError = v.red.String(err.Error())
}

func (v *Vault) statusLocked(name string) *Status {
	s := v.status[name]
	if s == nil {
		s = &Status{}
		v.status[name] = s
	}
	return s
}

// Status returns a connection's status in this process.
func (v *Vault) Status(_ context.Context, name string) Status {
	v.mu.Lock()
	var out Status
	if s := v.status[name]; s != nil {
		out = *s
	}
	tc := v.tokens[name]
	v.mu.Unlock()
	if tc != nil {
		tc.mu.Lock()
		if tc.tok != nil && !tc.tok.Expiry.IsZero() {
			e := tc.tok.Expiry.UTC()
			out.TokenExpiry = &e
		}
		tc.mu.Unlock()
	}
	return out
}
