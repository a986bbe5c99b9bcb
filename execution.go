package weft

import (
	"encoding/json"
	"fmt"
	"time"
)

// ExecutionStatus is the state of one run of a workflow.
type ExecutionStatus string

// Execution states. queued → running → (waiting ↔ running) → succeeded | failed | canceled.
const (
	ExecutionQueued    ExecutionStatus = "queued"
	ExecutionRunning   ExecutionStatus = "running"
	ExecutionWaiting   ExecutionStatus = "waiting" // a timer, a retry backoff or a rate limit
	ExecutionSucceeded ExecutionStatus = "succeeded"
	ExecutionFailed    ExecutionStatus = "failed"
	ExecutionCanceled  ExecutionStatus = "canceled"
)

// Finished reports whether the status is terminal.
func (s ExecutionStatus) Finished() bool {
	return s == ExecutionSucceeded || s == ExecutionFailed || s == ExecutionCanceled
}

// Valid reports whether s is a known status.
func (s ExecutionStatus) Valid() bool {
	switch s {
	case ExecutionQueued, ExecutionRunning, ExecutionWaiting, ExecutionSucceeded, ExecutionFailed, ExecutionCanceled:
		return true
	}
	return false
}

// StepStatus is the state of one step run.
type StepStatus string

// Step run states.
const (
	StepPending   StepStatus = "pending"
	StepRunning   StepStatus = "running"
	StepWaiting   StepStatus = "waiting"
	StepSucceeded StepStatus = "succeeded"
	StepFailed    StepStatus = "failed"
	StepSkipped   StepStatus = "skipped"
	StepCanceled  StepStatus = "canceled"
)

// Finished reports whether the step run will not change any more.
func (s StepStatus) Finished() bool {
	return s == StepSucceeded || s == StepFailed || s == StepSkipped || s == StepCanceled
}

// Trigger kinds recorded on an execution.
const (
	TriggerWebhook  = "webhook"
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerWorkflow = "workflow" // started by workflow.call
	TriggerError    = "error"    // started as another workflow's on_error handler
	TriggerAlert    = "alert"    // started as an alert rule's notify workflow
	TriggerMCP      = "mcp"      // started by a tools/call of Weft's MCP server
)

// ErrorInfo is a recorded failure. Message is meant for people: it says what
// failed and, where known, how to fix it.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *ErrorInfo) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Execution is one run of a workflow.
type Execution struct {
	ID              string          `json:"id"`
	Workflow        string          `json:"workflow"`
	WorkflowVersion int64           `json:"workflow_version"`
	Status          ExecutionStatus `json:"status"`
	Trigger         string          `json:"trigger"`
	Input           json.RawMessage `json:"input"`
	Output          json.RawMessage `json:"output,omitempty"`
	Error           *ErrorInfo      `json:"error,omitempty"`
	ParentID        string          `json:"parent_id,omitempty"`
	ParentStep      string          `json:"parent_step,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	StartedAt       *time.Time      `json:"started_at,omitempty"`
	FinishedAt      *time.Time      `json:"finished_at,omitempty"`
	WakeAt          *time.Time      `json:"wake_at,omitempty"`
	CancelRequested bool            `json:"cancel_requested,omitempty"`
	// LeaseOwner and LeaseUntil say which process works on the execution and
	// until when; another process may take it over once the lease expires.
	LeaseOwner string     `json:"lease_owner,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
	// Response is what a `respond` step produced (status, headers, body).
	Response json.RawMessage `json:"response,omitempty"`
	// Retries are the earlier runs of this execution that a retry replaced,
	// oldest first (at most MaxRetries): a retry keeps what it ran again, so
	// the failed attempts stay visible after a retry succeeds.
	Retries []PriorRun `json:"retries,omitempty"`
	// TraceParent is the W3C traceparent of the span that started the
	// execution when tracing is on: every process that runs it (after a
	// crash, a wait or an approval) continues this trace.
	TraceParent string `json:"trace_parent,omitempty"`
	// Recovered is set by Claim (only) when it took the execution over
	// from a process that stopped while running it, without releasing it: a
	// crash, an out-of-memory kill, a lost lease. The engine then counts
	// the attempts that process left unfinished (crash quarantine).
	Recovered bool `json:"-"`
}

// MaxRetries bounds Execution.Retries (older runs are dropped) and
// MaxPriorSteps bounds the step runs kept per earlier run.
const (
	MaxRetries    = 20
	MaxPriorSteps = 100
)

// PriorRun is one run of an execution that ended (failed) and was then
// retried: when it ran, how it ended, who retried it and when, and the
// step runs the retry ran again, with their attempt history (inputs and
// outputs are not kept).
type PriorRun struct {
	Run        int             `json:"run"` // 1 for the first run
	Status     ExecutionStatus `json:"status"`
	Error      *ErrorInfo      `json:"error,omitempty"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	RetriedAt  time.Time       `json:"retried_at"`
	RetriedBy  string          `json:"retried_by,omitempty"`
	Steps      []StepRun       `json:"steps,omitempty"`
	// StepsTruncated says there were more than MaxPriorSteps step runs and
	// only the first were kept.
	StepsTruncated bool `json:"steps_truncated,omitempty"`
}

// NewPriorRun records ex (failed, about to be retried by `by` at now) and
// the step runs the retry will run again, bounded by MaxPriorSteps.
func NewPriorRun(ex Execution, replaced []StepRun, by string, now time.Time) PriorRun {
	p := PriorRun{Run: len(ex.Retries) + 1, Status: ex.Status, Error: ex.Error, StartedAt: ex.StartedAt,
		FinishedAt: ex.FinishedAt, RetriedAt: now, RetriedBy: by}
	if n := len(ex.Retries); n > 0 {
		p.Run = ex.Retries[n-1].Run + 1
	}
	for i, r := range replaced {
		if i == MaxPriorSteps {
			p.StepsTruncated = true
			break
		}
		r.Input, r.Output, r.State = nil, nil, nil
		p.Steps = append(p.Steps, r)
	}
	return p
}

// AppendRetry returns runs with p added, keeping the newest MaxRetries.
func AppendRetry(runs []PriorRun, p PriorRun) []PriorRun {
	runs = append(append([]PriorRun(nil), runs...), p)
	if over := len(runs) - MaxRetries; over > 0 {
		runs = runs[over:]
	}
	return runs
}

// WholeStep is the Item value of a step run that stands for the whole step;
// for_each items are numbered from 0.
const WholeStep = -1

// StepRun is the record of one step (or one for_each item) in one execution.
type StepRun struct {
	ExecutionID string          `json:"execution_id"`
	StepID      string          `json:"step_id"`
	Item        int             `json:"item"`
	Type        string          `json:"type"`
	Status      StepStatus      `json:"status"`
	Attempts    int             `json:"attempts"`
	Input       json.RawMessage `json:"input,omitempty"`
	Output      json.RawMessage `json:"output,omitempty"`
	Error       *ErrorInfo      `json:"error,omitempty"`
	// State is private data a step keeps across suspensions (a child execution
	// id, a wait deadline). It is not shown to expressions.
	State      json.RawMessage `json:"state,omitempty"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	WakeAt     *time.Time      `json:"wake_at,omitempty"`
	// History records each attempt and each wait (newest last, at most
	// MaxHistory entries): outcome, duration, error, and the wait chosen
	// before the next try and why.
	History []Attempt `json:"history,omitempty"`
}

// MaxHistory bounds StepRun.History; older entries are dropped.
const MaxHistory = 25

// Attempt is one entry of a step run's history.
type Attempt struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	// Outcome: succeeded, failed, retry, waiting, cached, or interrupted
	// (the process running the attempt stopped before it finished).
	Outcome    string `json:"outcome"`
	DurationMS int64  `json:"duration_ms"`
	Code       string `json:"code,omitempty"`
	Error      string `json:"error,omitempty"`
	// Wait is the pause before the next try: the one chosen when the
	// attempt ended, shortened to the pause that happened when the step ran
	// again sooner (a child's end wakes a waiting workflow.call or ai.agent
	// at once); Reason says why (backoff, retry_after, child,
	// rate_limit:requests, …).
	Wait   Duration `json:"wait,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

// ID is the step run's stable id, also the base of its idempotency key.
func (r *StepRun) ID() string { return StepRunID(r.ExecutionID, r.StepID, r.Item) }

// StepRunID builds the stable id (and idempotency key) of a step run:
// execution id + step id + item index. A repeat of an interrupted call carries
// the same key, so the receiving service can drop the repeat.
func StepRunID(executionID, stepID string, item int) string {
	if item == WholeStep {
		return executionID + "/" + stepID
	}
	return fmt.Sprintf("%s/%s/%d", executionID, stepID, item)
}
