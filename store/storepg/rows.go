package storepg

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Timestamps go in at microsecond precision (what timestamptz keeps) and
// come back in UTC, exactly like the SQLite store.

func ts(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// blob stores an empty payload as NULL, so nil and empty read back alike.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func rawOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func errorInfo(code, msg *string) *weft.ErrorInfo {
	if code == nil {
		return nil
	}
	e := &weft.ErrorInfo{Code: *code}
	if msg != nil {
		e.Message = *msg
	}
	return e
}

func errorCols(e *weft.ErrorInfo) (code, msg any) {
	if e == nil {
		return nil, nil
	}
	return e.Code, e.Message
}

const executionCols = `id, workflow, workflow_version, status, trigger_kind, input, output,
	error_code, error_message, parent_id, parent_step, created_at, started_at, finished_at,
	wake_at, cancel_requested, lease_owner, lease_until, response, retries, trace_parent`

func scanExecution(row pgx.Row) (weft.Execution, error) {
	var (
		e                              weft.Execution
		status                         string
		errCode, errMsg, leaseOwner    *string
		input, output, response        []byte
		retries                        []byte
		started, finished, wake, until *time.Time
	)
	if err := row.Scan(&e.ID, &e.Workflow, &e.WorkflowVersion, &status, &e.Trigger, &input, &output,
		&errCode, &errMsg, &e.ParentID, &e.ParentStep, &e.CreatedAt, &started, &finished,
		&wake, &e.CancelRequested, &leaseOwner, &until, &response, &retries, &e.TraceParent); err != nil {
		return weft.Execution{}, err
	}
	e.Retries = store.DecodeRetries(retries)
	e.Status = weft.ExecutionStatus(status)
	e.Input, e.Output, e.Response = rawOrNil(input), rawOrNil(output), rawOrNil(response)
	e.Error = errorInfo(errCode, errMsg)
	e.CreatedAt = e.CreatedAt.UTC()
	e.StartedAt, e.FinishedAt, e.WakeAt, e.LeaseUntil = utcPtr(started), utcPtr(finished), utcPtr(wake), utcPtr(until)
	if leaseOwner != nil {
		e.LeaseOwner = *leaseOwner
	}
	return e, nil
}

const stepRunCols = `execution_id, step_id, item, type, status, attempts, input, output,
	error_code, error_message, state, started_at, finished_at, wake_at, attempt_log`

func scanStepRun(row pgx.Row) (weft.StepRun, error) {
	var (
		r                       weft.StepRun
		status                  string
		errCode, errMsg         *string
		input, output, state    []byte
		started, finished, wake *time.Time
		history                 []byte
	)
	if err := row.Scan(&r.ExecutionID, &r.StepID, &r.Item, &r.Type, &status, &r.Attempts, &input, &output,
		&errCode, &errMsg, &state, &started, &finished, &wake, &history); err != nil {
		return weft.StepRun{}, err
	}
	r.History = store.DecodeHistory(history)
	r.Status = weft.StepStatus(status)
	r.Input, r.Output, r.State = rawOrNil(input), rawOrNil(output), rawOrNil(state)
	r.Error = errorInfo(errCode, errMsg)
	r.StartedAt, r.FinishedAt, r.WakeAt = utcPtr(started), utcPtr(finished), utcPtr(wake)
	return r, nil
}

const workflowCols = `v.name, v.version, v.source, v.description, v.webhook_path, v.enabled, v.created_at, v.updated_at`

func scanWorkflow(row pgx.Row) (weft.WorkflowRecord, error) {
	var r weft.WorkflowRecord
	if err := row.Scan(&r.Name, &r.Version, &r.Source, &r.Description, &r.WebhookPath, &r.Enabled, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return weft.WorkflowRecord{}, err
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// pageLimit applies the store.Page rules: <= 0 means 50, capped at 500.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

// Cursors use the SQLite store's format: base64("<created_at micros>:<id>")
// for executions and base64(name) for workflows.

func executionCursor(e weft.Execution) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(e.CreatedAt.UnixMicro(), 10) + ":" + e.ID))
}

func parseExecutionCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	s, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return time.Time{}, "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	return time.UnixMicro(us).UTC(), id, nil
}

func workflowCursor(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

func parseWorkflowCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	return string(b), nil
}
