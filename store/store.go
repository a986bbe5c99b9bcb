package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/weftworks/weft"
)

// Store is everything the engine, the triggers and the API need from storage.
type Store interface {
	Workflows
	Executions
	ExecutionSearcher
	WebhookDeliveries
	Subscriptions
	Credentials
	Cache
	LimiterStates
	RateBuckets
	CircuitStates
	Settings
	Usage
	Stats
	Events
	Polls
	Alerts
	Identity
	Audit
	Registrations
	MCPTools
	// Close releases the database. Pending group commits are flushed first.
	Close() error
}

// Workflows stores workflow documents. Every Put makes a new version; the
// newest version is the active one, older versions stay readable for the
// executions that ran on them.
type Workflows interface {
	// PutWorkflow stores rec.Source as a new version of rec.Name and returns the
	// stored record (Version, CreatedAt, UpdatedAt filled in). If the source is
	// byte-identical to the active version and Enabled is unchanged, no new
	// version is made and the active record is returned with changed=false.
	PutWorkflow(ctx context.Context, rec weft.WorkflowRecord) (stored weft.WorkflowRecord, changed bool, err error)
	// GetWorkflow returns the active version (weft.ErrNotFound if none).
	GetWorkflow(ctx context.Context, name string) (weft.WorkflowRecord, error)
	// GetWorkflowVersion returns one stored version, even of a deleted workflow.
	GetWorkflowVersion(ctx context.Context, name string, version int64) (weft.WorkflowRecord, error)
	// ListWorkflows lists active workflows ordered by name.
	ListWorkflows(ctx context.Context, page Page) ([]weft.WorkflowRecord, string, error)
	// DeleteWorkflow removes the workflow from the active set (its versions stay
	// for the executions that reference them). weft.ErrNotFound if absent.
	DeleteWorkflow(ctx context.Context, name string) error
	// WorkflowByWebhookPath finds the active workflow serving a webhook path.
	WorkflowByWebhookPath(ctx context.Context, path string) (weft.WorkflowRecord, error)
}

// Page is a cursor page request. Cursor is opaque; Limit <= 0 means 50, and
// stores cap it at 500.
type Page struct {
	Cursor string
	Limit  int
}

// ExecutionFilter narrows ListExecutions. Results are newest first.
type ExecutionFilter struct {
	Workflow string
	Status   weft.ExecutionStatus
	Page
}

// Executions stores executions and step runs.
type Executions interface {
	// Apply writes one Mutation atomically. It returns weft.ErrLeaseLost when
	// m.Owner is set and the execution is no longer leased to m.Owner, and
	// weft.ErrDuplicate (with Result.Existing set) when m.Create carries a
	// dedupe key that is already claimed. When Apply returns nil the mutation
	// is durable (committed to disk).
	Apply(ctx context.Context, m Mutation) (Result, error)

	// GetExecution returns an execution (weft.ErrNotFound if absent).
	GetExecution(ctx context.Context, id string) (weft.Execution, error)
	// GetStepRuns returns every step run of an execution, ordered by start
	// time, then step id, then item.
	GetStepRuns(ctx context.Context, executionID string) ([]weft.StepRun, error)
	// ListExecutions lists executions newest first.
	ListExecutions(ctx context.Context, f ExecutionFilter) ([]weft.Execution, string, error)
	// CountExecutions counts executions of a workflow in the given statuses
	// (used for the workflow concurrency limit and metrics).
	CountExecutions(ctx context.Context, workflow string, statuses ...weft.ExecutionStatus) (int, error)

	// Claim leases up to limit executions that need a worker to owner until
	// now+lease: queued ones, running/waiting ones whose lease expired (their
	// process died), and waiting ones whose WakeAt has passed and that nobody
	// holds. A claimed execution gets status running, LeaseOwner and
	// LeaseUntil, and its WakeAt is cleared. Claims never hand one execution
	// to two owners at once.
	// Oldest first. Executions of a workflow whose running count has reached
	// its limit (limits[workflow]) are skipped.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, limits map[string]int) ([]weft.Execution, error)
	// Renew extends owner's leases on ids to until. It returns the ids whose
	// lease was lost (taken over, or finished) and the ids on which a cancel
	// was requested, so the owner can stop them.
	Renew(ctx context.Context, owner string, ids []string, until time.Time) (lost, cancel []string, err error)
	// NextWake returns the earliest WakeAt of a waiting execution nobody
	// holds, or the zero time if none.
	NextWake(ctx context.Context) (time.Time, error)

	// RequestCancel marks an execution for cancellation. A queued or waiting
	// execution that nobody holds is canceled at once (returned with status
	// canceled); a running one is canceled by its owner at its next step
	// boundary or lease renewal. weft.ErrConflict if it already finished.
	RequestCancel(ctx context.Context, id string, now time.Time) (weft.Execution, error)
	// ResetForRetry turns a failed execution back to queued: failed step runs
	// and those skipped or canceled because of the failure are deleted (so they
	// run again), succeeded ones are kept. The run that ended is appended to
	// Execution.Retries (weft.NewPriorRun: its times, error, who retried it and
	// the replaced step runs with their attempt history), and started_at is
	// cleared for the new run. weft.ErrConflict if it is not failed.
	ResetForRetry(ctx context.Context, id string, now time.Time, by string) (weft.Execution, error)

	// Prune deletes up to batch finished executions (with their step runs)
	// that finished before `before`, and expired dedupe keys, and returns how
	// many executions it deleted. Callers loop until it returns 0, so no single
	// transaction holds the writer for long; SQLite also reclaims free pages.
	Prune(ctx context.Context, before time.Time, batch int) (int, error)
}

// Mutation is one atomic change to one execution and its step runs.
type Mutation struct {
	// Owner fences the write: when set, the execution must be leased to Owner,
	// or Apply fails with weft.ErrLeaseLost and writes nothing.
	Owner string
	// Create inserts a new execution (Owner is then ignored for the check).
	Create *weft.Execution
	// Dedupe, with Create, claims (Scope, Key) for the new execution. If the
	// key is already held, nothing is written, Apply returns
	// weft.ErrDuplicate and Result.Existing holds the first execution's id.
	Dedupe *DedupeKey
	// ExecutionID names the execution to patch (Create's id when creating).
	ExecutionID string
	// Patch updates fields of the execution; nil fields are left alone.
	Patch *ExecutionPatch
	// StepRuns are inserted or replaced (keyed by execution, step and item).
	StepRuns []weft.StepRun
}

// DedupeKey is a claim that makes a trigger start at most one execution per
// key within a window.
type DedupeKey struct {
	Scope     string // usually the workflow name
	Key       string
	ExpiresAt time.Time
}

// ExecutionPatch sets fields of an execution; nil means unchanged.
type ExecutionPatch struct {
	Status     *weft.ExecutionStatus
	Output     json.RawMessage // nil: unchanged
	Error      *weft.ErrorInfo // nil: unchanged; use ClearError to remove
	ClearError bool
	Response   json.RawMessage
	StartedAt  *time.Time
	FinishedAt *time.Time
	// WakeAt sets the wake time; ClearWake removes it.
	WakeAt    *time.Time
	ClearWake bool
	// KeepEarlierWake, with WakeAt, keeps a stored wake time that is
	// earlier than WakeAt. Claim clears the wake time, so an earlier one was
	// set while the execution ran (a child execution finished and woke its
	// parent): parking must not overwrite that wake-up.
	KeepEarlierWake bool
	// ReleaseLease clears LeaseOwner/LeaseUntil (the execution is waiting
	// for a timer or finished and no longer needs this process).
	ReleaseLease bool
	// LeaseOwner/LeaseUntil set a lease (used when creating an execution that
	// this process runs at once).
	LeaseOwner string
	LeaseUntil *time.Time
}

// Result is what Apply reports.
type Result struct {
	// Existing is the id of the execution that already holds the dedupe key,
	// set with weft.ErrDuplicate.
	Existing string
}

// Ptr returns a pointer to v; handy for patches.
func Ptr[T any](v T) *T { return &v }
