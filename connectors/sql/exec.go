package sql

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// Statements of one sql.exec and how often a transaction that lost a
// serialization conflict or a deadlock is run again within the attempt.
const (
	maxStatements     = 100
	serializationRuns = 3
)

type executor struct {
	svc  *Service
	spec step.Spec
}

var _ step.Handler = (*executor)(nil)

type statement struct {
	sql    string
	params []any
}

// execResult is one statement's outcome.
type execResult struct {
	RowsAffected int64  `json:"rows_affected"`
	LastInsertID *int64 `json:"last_insert_id,omitempty"`
}

type execOutput struct {
	RowsAffected int64        `json:"rows_affected"`
	LastInsertID *int64       `json:"last_insert_id,omitempty"`
	Statements   []execResult `json:"statements,omitempty"`
}

func (e *executor) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&e.spec, req.With)
	c, err := readCommon(in)
	if err != nil {
		return step.Result{}, err
	}
	stmts, list, err := readStatements(in, req.With)
	if err != nil {
		return step.Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	pl, err := e.svc.pool(ctx, req, TypeExec, c.credential)
	if err != nil {
		return step.Result{}, err
	}
	var results []execResult
	for run := 1; ; run++ {
		if list {
			results, err = execTx(ctx, pl.db, stmts)
		} else {
			results, err = execOne(ctx, pl.db, stmts[0])
		}
		if err == nil || !isSerialization(err) || run == serializationRuns {
			break
		}
		// The database rolled the transaction back: nothing of it
		// happened, so running it again is safe.
		if werr := sleepCtx(ctx, time.Duration(run*run)*50*time.Millisecond); werr != nil {
			break
		}
	}
	report(req, c.credential, err)
	if err != nil {
		return step.Result{}, failure(TypeExec, err, pl, c.idempotent)
	}
	out := execOutput{}
	for _, r := range results {
		out.RowsAffected += r.RowsAffected
		if r.LastInsertID != nil {
			out.LastInsertID = r.LastInsertID
		}
	}
	if list {
		out.Statements = results
	}
	return step.Result{Output: out}, nil
}

// readStatements reads `sql` + `params`, or `statements` (list is true).
func readStatements(in input.Reader, with map[string]any) ([]statement, bool, error) {
	hasSQL, hasList := in.Has("sql"), in.Has("statements")
	switch {
	case hasSQL && hasList:
		return nil, false, input.Invalid("statements", "give either sql (with params) or statements, not both")
	case hasSQL:
		text, err := in.String("sql")
		if err != nil {
			return nil, false, err
		}
		params, err := args("params", with["params"])
		if err != nil {
			return nil, false, err
		}
		return []statement{{sql: text, params: params}}, false, nil
	case !hasList:
		return nil, false, input.Invalid("sql", "is required (or give statements)")
	}
	raw, ok := with["statements"].([]any)
	if !ok || len(raw) == 0 {
		return nil, false, input.Invalid("statements", "must be a non-empty list of {sql, params}")
	}
	if len(raw) > maxStatements {
		return nil, false, input.Invalid("statements", "has %d statements; at most %d run in one transaction", len(raw), maxStatements)
	}
	out := make([]statement, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		field := fmt.Sprintf("statements[%d]", i)
		if !ok {
			return nil, false, input.Invalid(field, "must be {sql, params}")
		}
		text, ok := m["sql"].(string)
		if !ok || text == "" {
			return nil, false, input.Invalid(field+".sql", "is required and must be a string")
		}
		for k := range m {
			if k != "sql" && k != "params" {
				return nil, false, input.Invalid(field, "has no key %q; keys: sql, params", k)
			}
		}
		params, err := args(field+".params", m["params"])
		if err != nil {
			return nil, false, err
		}
		out[i] = statement{sql: text, params: params}
	}
	return out, true, nil
}

func execOne(ctx context.Context, db *stdsql.DB, s statement) ([]execResult, error) {
	res, err := db.ExecContext(ctx, s.sql, s.params...)
	if err != nil {
		return nil, err
	}
	return []execResult{resultOf(res)}, nil
}

// execTx runs every statement in one transaction: all or nothing.
func execTx(ctx context.Context, db *stdsql.DB, stmts []statement) (_ []execResult, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	out := make([]execResult, 0, len(stmts))
	for i, s := range stmts {
		res, err := tx.ExecContext(ctx, s.sql, s.params...)
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		out = append(out, resultOf(res))
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

func resultOf(res stdsql.Result) execResult {
	var r execResult
	if n, err := res.RowsAffected(); err == nil {
		r.RowsAffected = n
	}
	// PostgreSQL has no last insert id (use RETURNING with sql.query);
	// MySQL and SQLite report one, 0 when the statement inserted nothing.
	if id, err := res.LastInsertId(); err == nil {
		r.LastInsertID = &id
	}
	return r
}
