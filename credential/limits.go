package credential

import (
	"fmt"

	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/ratelimit"
)

// Validate checks the limit strings.
func (l *Limits) Validate() error {
	if l.Requests != "" {
		if _, err := ratelimit.ParseRate(l.Requests); err != nil {
			return fmt.Errorf("limits.requests: %w", err)
		}
	}
	if l.Tokens != "" {
		if _, err := ratelimit.ParseRate(l.Tokens); err != nil {
			return fmt.Errorf("limits.tokens: %w", err)
		}
	}
	if l.Concurrency < 0 {
		return fmt.Errorf("limits.concurrency must not be negative")
	}
	return nil
}

// RateLimits converts the settings to the limiter's form.
func (l *Limits) RateLimits() ratelimit.Limits {
	var out ratelimit.Limits
	if l == nil {
		return out
	}
	out.Requests, _ = ratelimit.ParseRate(l.Requests)
	out.Tokens, _ = ratelimit.ParseRate(l.Tokens)
	out.Concurrency = l.Concurrency
	return out
}

func validCIDRs(list []string) error {
	_, err := netguard.ParseCIDRs(list)
	return err
}
