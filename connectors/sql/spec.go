package sql

import (
	"github.com/weftworks/weft/step"
)

// Step types.
const (
	TypeQuery = "sql.query"
	TypeExec  = "sql.exec"
)

// Defaults the handlers need as numbers; the specs state them for users.
const (
	defaultMaxRows  = 1000
	defaultMaxBytes = 10 << 20
	defaultTimeout  = "30s"
)

// literalSQL is what validation says when the SQL text holds an expression.
const literalSQL = "pass values as parameters instead: write $1, $2 … (PostgreSQL) or ? (MySQL, SQLite) in the SQL " +
	"and list the values under params, like params: [\"{{ trigger.body.id }}\"]"

func credentialField() step.Field {
	return step.Field{Name: "credential", Type: step.String, Required: true, Example: "shop-db",
		Description: "Name of a postgres, mysql or sqlite credential (see docs/connections.md). The workflow must be allowed to use it; its host must pass the SSRF guard (allow_private_net for private addresses)."}
}

func sqlField() step.Field {
	return step.Field{Name: "sql", Type: step.String, Literal: literalSQL, Example: "SELECT id, total FROM orders WHERE id = $1",
		Description: "One SQL statement, written out: `{{ }}` is refused here. Placeholders are the driver's own: $1, $2 … for PostgreSQL, ? for MySQL and SQLite."}
}

func paramsField() step.Field {
	return step.Field{Name: "params", Type: step.Array, Example: []any{"{{ trigger.body.id }}"},
		Items:       &step.Field{Type: step.Any, Description: "A value: string, number, boolean, null, or an object or list (sent as JSON text)."},
		Description: "Values of the placeholders, in order. They are sent to the database apart from the SQL, so they are never read as SQL."}
}

func timeoutField() step.Field {
	return step.Field{Name: "timeout", Type: step.Duration, Default: defaultTimeout,
		Description: "Time limit of the whole call; when it runs out the statement is cancelled on the server and the step fails with code timeout."}
}

func querySpec() step.Spec {
	return step.Spec{
		Type:     TypeQuery,
		Title:    "SQL query",
		Category: step.CategoryData,
		Auth:     []string{"mysql", "postgres", "sqlite"},
		Description: "Runs one SQL statement that returns rows (SELECT, or a write with RETURNING) and outputs the rows as JSON. " +
			"Values go in `params`, never into the SQL text. Types are kept: integers stay numbers, NUMERIC/DECIMAL become " +
			"strings (no precision is lost), timestamps RFC 3339 strings, dates YYYY-MM-DD, bytea/BLOB base64, JSON columns " +
			"JSON, NULL null. At most `max_rows` rows and `max_bytes` bytes of JSON are read; past either the query is " +
			"cancelled and the step fails (code row_limit or result_too_large), or with `on_limit: truncate` returns what " +
			"fitted with truncated: true. Network errors and timeouts are retried under the step's retry policy unless " +
			"`idempotent` is false.",
		Fields: []step.Field{
			credentialField(),
			withRequired(sqlField()),
			paramsField(),
			{Name: "max_rows", Type: step.Integer, Default: defaultMaxRows,
				Description: "Most rows returned (at most the server's --sql-max-rows, 100000 by default)."},
			{Name: "max_bytes", Type: step.Integer, Default: defaultMaxBytes,
				Description: "Most bytes of JSON in `rows` (at most 100 MiB)."},
			{Name: "on_limit", Type: step.String, Default: "fail", Enum: []string{"fail", "truncate"},
				Description: "Past max_rows or max_bytes: fail the step, or return the rows read so far with truncated: true."},
			timeoutField(),
			{Name: "idempotent", Type: step.Boolean, Default: true,
				Description: "Whether running the statement again is harmless. When false a network error or timeout fails the step instead of being retried."},
		},
		Output: "`{rows, columns, row_count, truncated}`: `rows` is a list of objects, column name to value; `columns` lists " +
			"`{name, type}` in the order of the SELECT (type as the database names it); `truncated` is true only with " +
			"`on_limit: truncate` when a limit cut the result.",
		Example: `- id: order
  uses: sql.query
  with:
    credential: shop-db
    sql: SELECT id, status, total FROM orders WHERE id = $1
    params: ["{{ trigger.body.order_id }}"]
`,
	}
}

func execSpec() step.Spec {
	stmt := step.Field{Type: step.Object, Description: "One statement of the transaction.", Fields: []step.Field{
		withRequired(sqlField()),
		paramsField(),
	}}
	return step.Spec{
		Type:     TypeExec,
		Title:    "SQL statement",
		Category: step.CategoryData,
		Auth:     []string{"mysql", "postgres", "sqlite"},
		Description: "Runs SQL that changes data (INSERT, UPDATE, DELETE, DDL) and outputs how many rows it affected. Give " +
			"one statement in `sql` and `params`, or a list in `statements`: they run in one transaction, all or nothing. " +
			"A serialization failure or deadlock rolls the transaction back and runs it again, up to 3 times, within the " +
			"same attempt. sql.exec is not idempotent by itself: a network error or timeout after the statement was sent " +
			"leaves its outcome unknown, so the step fails instead of retrying unless you set `idempotent: true` (for an " +
			"upsert, or a write guarded by a unique key such as the step's idempotency key).",
		Fields: []step.Field{
			credentialField(),
			sqlField(),
			paramsField(),
			{Name: "statements", Type: step.Array, Literal: literalSQL, Items: &stmt,
				Example:     []any{map[string]any{"sql": "UPDATE stock SET qty = qty - $1 WHERE sku = $2", "params": []any{"{{ trigger.body.qty }}", "{{ trigger.body.sku }}"}}},
				Description: "Statements run in one transaction, in order, instead of `sql` and `params`."},
			timeoutField(),
			{Name: "idempotent", Type: step.Boolean, Default: false,
				Description: "Set true when running the statements twice is harmless; then network errors and timeouts are retried under the step's retry policy."},
		},
		Output: "`{rows_affected, last_insert_id, statements}`: `rows_affected` is the total; `last_insert_id` is set for " +
			"MySQL and SQLite (of the last statement that reports one); `statements` lists `{rows_affected, last_insert_id}` " +
			"per statement when `statements` was given.",
		Example: `- id: reserve
  uses: sql.exec
  with:
    credential: shop-db
    statements:
      - sql: UPDATE stock SET qty = qty - $1 WHERE sku = $2 AND qty >= $1
        params: ["{{ trigger.body.qty }}", "{{ trigger.body.sku }}"]
      - sql: INSERT INTO reservations (order_id, sku, qty) VALUES ($1, $2, $3)
        params: ["{{ trigger.body.order_id }}", "{{ trigger.body.sku }}", "{{ trigger.body.qty }}"]
`,
	}
}

func withRequired(f step.Field) step.Field {
	f.Required = true
	return f
}
