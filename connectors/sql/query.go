package sql

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

type querier struct {
	svc  *Service
	spec step.Spec
}

var _ step.Handler = (*querier)(nil)

// limits bound one query's result.
type limits struct {
	rows     int
	bytes    int
	truncate bool
}

// queryOutput is sql.query's output. Rows are kept encoded: they were
// measured as JSON, and are stored as JSON.
type queryOutput struct {
	Rows      []json.RawMessage `json:"rows"`
	Columns   []column          `json:"columns"`
	RowCount  int               `json:"row_count"`
	Truncated bool              `json:"truncated"`
}

func (q *querier) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&q.spec, req.With)
	c, err := readCommon(in)
	if err != nil {
		return step.Result{}, err
	}
	text, err := in.String("sql")
	if err != nil {
		return step.Result{}, err
	}
	params, err := args("params", req.With["params"])
	if err != nil {
		return step.Result{}, err
	}
	lim, err := q.readLimits(in)
	if err != nil {
		return step.Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	pl, err := q.svc.pool(ctx, req, TypeQuery, c.credential)
	if err != nil {
		return step.Result{}, err
	}
	out, err := runQuery(ctx, pl.db, text, params, lim)
	report(req, c.credential, err)
	if err != nil {
		var ce *step.CodedError
		if errors.As(err, &ce) && (ce.Code == CodeRowLimit || ce.Code == CodeTooLarge) {
			return step.Result{}, err
		}
		return step.Result{}, failure(TypeQuery, err, pl, c.idempotent)
	}
	return step.Result{Output: out}, nil
}

func (q *querier) readLimits(in input.Reader) (limits, error) {
	var l limits
	var err error
	if l.rows, err = in.Int("max_rows"); err != nil {
		return l, err
	}
	if !in.Has("max_rows") {
		l.rows = min(l.rows, q.svc.cfg.MaxRows)
	}
	if l.rows < 1 || l.rows > q.svc.cfg.MaxRows {
		return l, input.Invalid("max_rows", "must be from 1 to %d (this Weft's --sql-max-rows)", q.svc.cfg.MaxRows)
	}
	if l.bytes, err = in.Int("max_bytes"); err != nil {
		return l, err
	}
	if l.bytes < 1024 || l.bytes > maxMaxBytes {
		return l, input.Invalid("max_bytes", "must be from 1024 to %d (100 MiB)", maxMaxBytes)
	}
	mode, err := in.String("on_limit")
	if err != nil {
		return l, err
	}
	switch mode {
	case "fail", "":
	case "truncate":
		l.truncate = true
	default:
		return l, input.Invalid("on_limit", "must be fail or truncate")
	}
	return l, nil
}

// runQuery reads at most lim.rows rows and lim.bytes bytes of JSON. Past
// either it stops reading and cancels the statement, so a query that would
// return millions of rows costs one row of memory more than the limit.
func runQuery(ctx context.Context, db *stdsql.DB, text string, params []any, lim limits) (*queryOutput, error) {
	qctx, stop := context.WithCancel(ctx)
	rows, err := db.QueryContext(qctx, text, params...)
	if err != nil {
		stop()
		return nil, err
	}
	// Cancel first: closing rows that are still streaming would otherwise
	// read the rest of the result.
	defer func() { stop(); rows.Close() }()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]column, len(types))
	dbTypes := make([]string, len(types))
	keys := make([][]byte, len(types))
	seen := map[string]int{}
	for i, t := range types {
		name := t.Name()
		if n := seen[name]; n > 0 {
			// A JSON object holds each key once: a repeated column
			// name (two tables' "id") gets a suffix.
			seen[name] = n + 1
			name = name + "_" + strconv.Itoa(n+1)
		} else {
			seen[name] = 1
		}
		dbTypes[i] = strings.ToUpper(t.DatabaseTypeName())
		cols[i] = column{Name: name, Type: typeName(dbTypes[i])}
		keys[i], _ = json.Marshal(name)
	}
	out := &queryOutput{Rows: []json.RawMessage{}, Columns: cols}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	size := 2 // the list's brackets
	for rows.Next() {
		if len(out.Rows) == lim.rows {
			if lim.truncate {
				out.Truncated = true
				break
			}
			return nil, step.Errorf(CodeRowLimit, "sql.query: the query returns more than max_rows (%d) rows; add a LIMIT (and page with OFFSET or a key), raise max_rows, or set on_limit: truncate", lim.rows)
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row, err := encodeRow(keys, vals, dbTypes)
		if err != nil {
			return nil, err
		}
		if size+len(row)+1 > lim.bytes {
			if lim.truncate {
				out.Truncated = true
				break
			}
			return nil, step.Errorf(CodeTooLarge, "sql.query: the result is larger than max_bytes (%d bytes of JSON) at row %d; select fewer columns or rows, or raise max_bytes (at most 100 MiB)", lim.bytes, len(out.Rows)+1)
		}
		size += len(row) + 1
		out.Rows = append(out.Rows, row)
	}
	if !out.Truncated {
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out.RowCount = len(out.Rows)
	return out, nil
}

// encodeRow writes one row as a JSON object with keys in column order.
func encodeRow(keys [][]byte, vals []any, dbTypes []string) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(keys[i])
		b.WriteByte(':')
		enc, err := json.Marshal(convert(v, dbTypes[i]))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", keys[i], err)
		}
		b.Write(enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
