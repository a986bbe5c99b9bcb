package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weftworks/weft"
)

// Limits of an execution search, checked by ParseInputPath and by the stores.
const (
	// MaxInputPathLen bounds the dotted path of a trigger-data filter.
	MaxInputPathLen = 200
	// MaxInputPathParts bounds how deep the path goes.
	MaxInputPathParts = 16
	// MaxInputValueLen bounds the value a trigger-data field is compared with.
	MaxInputValueLen = 1000
	// MaxIDPrefixLen bounds an execution id prefix (ids are 26 characters).
	MaxIDPrefixLen = 64
	// DefaultMaxScan is how many executions one search reads at most when
	// ExecutionSearch.MaxScan is not set.
	DefaultMaxScan = 10_000
)

// ExecutionSearch narrows SearchExecutions beyond ExecutionFilter. Results
// are newest first, like ListExecutions.
type ExecutionSearch struct {
	ExecutionFilter
	// IDPrefix keeps executions whose id starts with it (letters and digits).
	IDPrefix string
	// From and To keep executions created in [From, To); zero means open.
	From, To time.Time
	// Input keeps executions whose trigger data has Value at Path.
	Input *InputMatch
	// MaxScan bounds the rows read when Input is set (<= 0: DefaultMaxScan).
	// A search that reads MaxScan rows before filling the page stops there and
	// answers what it found with a cursor after the last row read, so a filter
	// that matches nothing never reads the whole table in one request.
	MaxScan int
}

// InputMatch is a `field = value` filter on an execution's trigger data
// (Execution.Input). Path is a list of object keys; the field's text form
// is compared: a string as is, a number as written, true/false.
type InputMatch struct {
	Path  []string
	Value string
}

// ExecutionPage is one page of a search.
type ExecutionPage struct {
	Items []weft.Execution
	// Cursor continues the search; empty when there is nothing more.
	Cursor string
	// Scanned is how many rows the trigger-data filter read.
	Scanned int
	// ScanLimited says the search stopped at MaxScan rows: the page may hold
	// fewer items than asked although more may match after Cursor.
	ScanLimited bool
}

// ExecutionSearcher searches executions by time, id prefix and trigger data.
type ExecutionSearcher interface {
	SearchExecutions(ctx context.Context, q ExecutionSearch) (ExecutionPage, error)
}

// ParseInputPath checks a dotted path ("body.customer.id"): identifiers of
// letters, digits and underscores, at most MaxInputPathParts of them and
// MaxInputPathLen characters in all.
func ParseInputPath(s string) ([]string, error) {
	if len(s) > MaxInputPathLen {
		return nil, fmt.Errorf("path is %d characters long; the most is %d: %w", len(s), MaxInputPathLen, weft.ErrInvalid)
	}
	if s == "" {
		return nil, fmt.Errorf("path is empty; name a field such as body.customer.id: %w", weft.ErrInvalid)
	}
	parts := strings.Split(s, ".")
	if len(parts) > MaxInputPathParts {
		return nil, fmt.Errorf("path %q has %d parts; the most is %d: %w", s, len(parts), MaxInputPathParts, weft.ErrInvalid)
	}
	for _, p := range parts {
		if !identifier(p) {
			return nil, fmt.Errorf("path %q: %q is not a field name (letters, digits and _, not starting with a digit; parts joined by dots): %w", s, p, weft.ErrInvalid)
		}
	}
	return parts, nil
}

func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Validate checks the parts of q a store builds SQL from.
func (q ExecutionSearch) Validate() error {
	if len(q.IDPrefix) > MaxIDPrefixLen {
		return fmt.Errorf("id prefix is %d characters long; the most is %d: %w", len(q.IDPrefix), MaxIDPrefixLen, weft.ErrInvalid)
	}
	for _, c := range q.IDPrefix {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("id prefix %q: only letters, digits, - and _ may appear in an id: %w", q.IDPrefix, weft.ErrInvalid)
		}
	}
	if m := q.Input; m != nil {
		if len(m.Value) > MaxInputValueLen {
			return fmt.Errorf("value is %d characters long; the most is %d: %w", len(m.Value), MaxInputValueLen, weft.ErrInvalid)
		}
		if _, err := ParseInputPath(strings.Join(m.Path, ".")); err != nil {
			return err
		}
	}
	return nil
}

// MaxScanOrDefault is q.MaxScan, or DefaultMaxScan when it is not set.
func (q ExecutionSearch) MaxScanOrDefault() int {
	if q.MaxScan <= 0 {
		return DefaultMaxScan
	}
	return q.MaxScan
}
