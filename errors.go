package weft

import "errors"

// Sentinel errors shared across packages. Wrap them with context
// (fmt.Errorf("loading workflow %q: %w", name, weft.ErrNotFound)) and test with errors.Is.
var (
	// ErrNotFound means the addressed workflow, execution or record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request conflicts with the current state
	// (retrying an execution that has not failed, for example).
	ErrConflict = errors.New("conflict")
	// ErrInvalid means the input was rejected by validation.
	ErrInvalid = errors.New("invalid")
	// ErrLeaseLost means this process no longer owns the execution it tried to
	// write: another process took it over after the lease expired. The caller
	// must stop working on the execution at once.
	ErrLeaseLost = errors.New("execution lease lost")
	// ErrOverloaded means a bounded queue or limit is full; callers answer
	// 429/503 with Retry-After instead of waiting.
	ErrOverloaded = errors.New("overloaded")
	// ErrDuplicate is returned with the existing execution when a dedupe key
	// was already claimed.
	ErrDuplicate = errors.New("duplicate")
)
