package storepg

import (
	"fmt"
	"regexp"
)

// schemaPattern keeps Schema a plain identifier: it is also put into
// search_path and advisory-lock keys.
var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Options configure a Store. The zero value is usable after WithDefaults.
type Options struct {
	// Schema holds Weft's tables; it is created if missing and set as the
	// connections' search_path. Empty means the server's default
	// search_path (usually public). Tests give each test its own schema.
	Schema string
	// MaxConns bounds the connection pool. Default 16.
	MaxConns int32
	// MaxWriters bounds the group commits in flight at once, each on its
	// own connection; Applies that arrive meanwhile wait and form the next
	// group. Default 4; at most MaxConns.
	MaxWriters int
	// MaxBatch bounds how many Applies one group commit carries. Default 64.
	MaxBatch int
}

// WithDefaults returns o with zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.MaxConns == 0 {
		o.MaxConns = 16
	}
	if o.MaxWriters == 0 {
		o.MaxWriters = min(4, int(o.MaxConns))
	}
	if o.MaxBatch == 0 {
		o.MaxBatch = 64
	}
	return o
}

// Validate reports the first invalid field and how to fix it.
func (o Options) Validate() error {
	if o.Schema != "" && !schemaPattern.MatchString(o.Schema) {
		return fmt.Errorf("Schema: %q must be a lower-case identifier matching %s", o.Schema, schemaPattern)
	}
	if o.MaxConns < 1 {
		return fmt.Errorf("MaxConns: %d must be at least 1", o.MaxConns)
	}
	if o.MaxWriters < 1 || o.MaxWriters > int(o.MaxConns) {
		return fmt.Errorf("MaxWriters: %d must be between 1 and MaxConns (%d)", o.MaxWriters, o.MaxConns)
	}
	if o.MaxBatch < 1 {
		return fmt.Errorf("MaxBatch: %d must be at least 1", o.MaxBatch)
	}
	return nil
}
