package storesqlite

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// Timestamps are stored as microseconds since the Unix epoch (UTC), the same
// precision PostgreSQL keeps, so both stores round-trip identically.

func micros(t time.Time) int64 { return t.UnixMicro() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
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

func errorInfo(code, msg sql.NullString) *weft.ErrorInfo {
	if !code.Valid {
		return nil
	}
	return &weft.ErrorInfo{Code: code.String, Message: msg.String}
}

func errorCols(e *weft.ErrorInfo) (code, msg any) {
	if e == nil {
		return nil, nil
	}
	return e.Code, e.Message
}

func isConstraint(err error, code int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == code
}

func isUnique(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) || isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}

func isForeignKey(err error) bool { return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) }

type scanner interface{ Scan(dest ...any) error }

const executionCols = `id, workflow, workflow_version, status, trigger_kind, input, output,
	error_code, error_message, parent_id, parent_step, created_at, started_at, finished_at,
	wake_at, cancel_requested, lease_owner, lease_until, response, retries, trace_parent`

func scanExecution(sc scanner) (weft.Execution, error) {
	var (
		e                              weft.Execution
		status                         string
		errCode, errMsg, leaseOwner    sql.NullString
		created                        int64
		started, finished, wake, until sql.NullInt64
		retries                        []byte
	)
	if err := sc.Scan(&e.ID, &e.Workflow, &e.WorkflowVersion, &status, &e.Trigger, (*[]byte)(&e.Input), (*[]byte)(&e.Output),
		&errCode, &errMsg, &e.ParentID, &e.ParentStep, &created, &started, &finished,
		&wake, &e.CancelRequested, &leaseOwner, &until, (*[]byte)(&e.Response), &retries, &e.TraceParent); err != nil {
		return weft.Execution{}, err
	}
	e.Retries = store.DecodeRetries(retries)
	e.Status = weft.ExecutionStatus(status)
	e.Input, e.Output, e.Response = rawOrNil(e.Input), rawOrNil(e.Output), rawOrNil(e.Response)
	e.Error = errorInfo(errCode, errMsg)
	e.CreatedAt = fromMicros(created)
	e.StartedAt, e.FinishedAt, e.WakeAt, e.LeaseUntil = timePtr(started), timePtr(finished), timePtr(wake), timePtr(until)
	e.LeaseOwner = leaseOwner.String
	return e, nil
}

const stepRunCols = `execution_id, step_id, item, type, status, attempts, input, output,
	error_code, error_message, state, started_at, finished_at, wake_at, attempt_log`

func scanStepRun(sc scanner) (weft.StepRun, error) {
	var (
		r                       weft.StepRun
		status                  string
		errCode, errMsg         sql.NullString
		started, finished, wake sql.NullInt64
		history                 []byte
	)
	if err := sc.Scan(&r.ExecutionID, &r.StepID, &r.Item, &r.Type, &status, &r.Attempts, (*[]byte)(&r.Input), (*[]byte)(&r.Output),
		&errCode, &errMsg, (*[]byte)(&r.State), &started, &finished, &wake, &history); err != nil {
		return weft.StepRun{}, err
	}
	r.History = store.DecodeHistory(history)
	r.Status = weft.StepStatus(status)
	r.Input, r.Output, r.State = rawOrNil(r.Input), rawOrNil(r.Output), rawOrNil(r.State)
	r.Error = errorInfo(errCode, errMsg)
	r.StartedAt, r.FinishedAt, r.WakeAt = timePtr(started), timePtr(finished), timePtr(wake)
	return r, nil
}

const workflowCols = `v.name, v.version, v.source, v.description, v.webhook_path, v.enabled, v.created_at, v.updated_at`

func scanWorkflow(sc scanner) (weft.WorkflowRecord, error) {
	var (
		r                weft.WorkflowRecord
		created, updated int64
	)
	if err := sc.Scan(&r.Name, &r.Version, &r.Source, &r.Description, &r.WebhookPath, &r.Enabled, &created, &updated); err != nil {
		return weft.WorkflowRecord{}, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
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

// Execution cursors are base64("<created_at micros>:<id>"); workflow cursors
// base64(name). Both are opaque to callers.

func executionCursor(e weft.Execution) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(e.CreatedAt.UnixMicro(), 10) + ":" + e.ID))
}

func parseExecutionCursor(c string) (created int64, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	ts, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	created, err = strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	return created, id, nil
}

func workflowCursor(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(name)) }

func parseWorkflowCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("cursor %q: %w", c, weft.ErrInvalid)
	}
	return string(b), nil
}
