package sql_test

import (
	"strconv"
	"strings"
	"testing"

	sqlstep "github.com/weftworks/weft/connectors/sql"
)

// backend is one database the conformance tests run against.
type backend struct {
	name string
	typ  string
	data map[string]string
	cfg  sqlstep.Config
	// ph is the driver's placeholder for parameter i (1-based).
	ph func(i int) string
	// seq selects n numbered rows (for the row limit).
	seq func(n int) string
}

func dollar(i int) string { return "$" + string(rune('0'+i)) }
func question(int) string { return "?" }

func backends(t *testing.T) []backend {
	var out []backend
	dir := t.TempDir()
	out = append(out, backend{name: "sqlite", typ: "sqlite", data: map[string]string{"path": "conf.db"}, cfg: sqlstep.Config{SQLiteDir: dir},
		ph: question, seq: func(n int) string {
			return "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM s WHERE n < " + itoa(n) + ") SELECT n FROM s"
		}})
	if u := lookup("WEFT_TEST_POSTGRES_URL"); u != "" {
		out = append(out, backend{name: "postgres", typ: "postgres", data: map[string]string{"url": u}, ph: dollar,
			seq: func(n int) string { return "SELECT n FROM generate_series(1, " + itoa(n) + ") AS n" }})
	} else {
		t.Log("WEFT_TEST_POSTGRES_URL is not set: PostgreSQL not tested")
	}
	if lookup("WEFT_TEST_MYSQL_URL") != "" {
		out = append(out, backend{name: "mysql", typ: "mysql", data: mysqlCred(t), ph: question,
			seq: func(n int) string { return "SELECT seq AS n FROM seq_1_to_" + itoa(n) }})
	} else {
		t.Log("WEFT_TEST_MYSQL_URL is not set: MySQL not tested")
	}
	return out
}

// TestIntegrationConformance runs the same workflow-level behaviour against
// every database: parameters, types of a table's columns, transactions all
// or nothing, injection through a parameter is inert, the row limit.
func TestIntegrationConformance(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, be.cfg)
			b.add("db", be.typ, be.data)
			table := "weft_orders_" + suffix(t)
			ok := func(out map[string]any, err error) map[string]any { t.Helper(); return must(t, out, err) }
			exec := func(sql string, params ...any) (map[string]any, error) {
				return b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": sql, "params": params})
			}
			ok(exec("CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, qty INTEGER)"))
			t.Cleanup(func() { _, _ = exec("DROP TABLE " + table) })

			out := ok(exec("INSERT INTO "+table+" (id, name, qty) VALUES ("+be.ph(1)+", "+be.ph(2)+", "+be.ph(3)+")", 1, "apple", 3))
			if out["rows_affected"].(interface{ String() string }).String() != "1" {
				t.Fatalf("insert: rows_affected = %v, want 1", out["rows_affected"])
			}
			if be.name != "postgres" && out["last_insert_id"] == nil {
				t.Errorf("insert on %s: no last_insert_id in %v", be.name, out)
			}

			// Injection through a parameter is a value, not SQL.
			evil := "x'); DROP TABLE " + table + "; --"
			ok(exec("INSERT INTO "+table+" (id, name) VALUES ("+be.ph(1)+", "+be.ph(2)+")", 2, evil))
			q := ok(b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db",
				"sql": "SELECT id, name, qty FROM " + table + " WHERE name = " + be.ph(1), "params": []any{evil}}))
			got := rows(t, q)
			if len(got) != 1 || got[0]["name"] != evil || got[0]["qty"] != nil {
				t.Fatalf("injection attempt: rows = %v, want the one row holding the text and a null qty", got)
			}
			if id := got[0]["id"]; id == nil || id.(interface{ String() string }).String() != "2" {
				t.Fatalf("id = %#v, want the integer 2", got[0]["id"])
			}
			if cols := q["columns"].([]any); len(cols) != 3 || cols[0].(map[string]any)["name"] != "id" {
				t.Fatalf("columns = %v, want id, name, qty in order", cols)
			}

			// A transaction is all or nothing: the second statement
			// breaks the primary key, so the first is undone.
			_, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "statements": []any{
				map[string]any{"sql": "UPDATE " + table + " SET qty = " + be.ph(1) + " WHERE id = " + be.ph(2), "params": []any{99, 1}},
				map[string]any{"sql": "INSERT INTO " + table + " (id, name) VALUES (" + be.ph(1) + ", " + be.ph(2) + ")", "params": []any{2, "duplicate"}},
			}})
			if err == nil || codeOf(err) != "sql" {
				t.Fatalf("transaction with a failing statement: err = %v (code %s), want code sql", err, codeOf(err))
			}
			if !strings.Contains(err.Error(), "statement 2") {
				t.Errorf("error %q does not say which statement failed", err)
			}
			q = ok(b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT qty FROM " + table + " WHERE id = 1"}))
			if v := rows(t, q)[0]["qty"].(interface{ String() string }).String(); v != "3" {
				t.Fatalf("after the failed transaction qty = %s, want 3 (rolled back)", v)
			}
			out = ok(b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "statements": []any{
				map[string]any{"sql": "UPDATE " + table + " SET qty = qty + 1 WHERE id = " + be.ph(1), "params": []any{1}},
				map[string]any{"sql": "DELETE FROM " + table + " WHERE id = " + be.ph(1), "params": []any{2}},
			}}))
			if st := out["statements"].([]any); len(st) != 2 || out["rows_affected"].(interface{ String() string }).String() != "2" {
				t.Fatalf("transaction output = %v, want 2 statements and 2 rows affected", out)
			}

			if be.name != "sqlite" {
				b.conns.mu.Lock()
				n := len(b.conns.dialled)
				b.conns.mu.Unlock()
				if n == 0 {
					t.Errorf("%s connections were not opened through the connection's dialer", be.name)
				}
			}

			// The row limit: a query of 10 million rows stops at max_rows.
			_, err = b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": be.seq(10_000_000), "max_rows": 100})
			if codeOf(err) != "row_limit" || !strings.Contains(err.Error(), "max_rows (100)") {
				t.Fatalf("10 million rows: err = %v (code %s), want row_limit naming max_rows", err, codeOf(err))
			}
			out = ok(b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": be.seq(10_000_000), "max_rows": 100, "on_limit": "truncate"}))
			if out["truncated"] != true || len(rows(t, out)) != 100 {
				t.Fatalf("truncate: truncated = %v, %d rows; want true and 100", out["truncated"], len(rows(t, out)))
			}
			// The pool is still usable after a cancelled query.
			out = ok(b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": be.seq(3)}))
			if len(rows(t, out)) != 3 || out["truncated"] != false {
				t.Fatalf("after a stopped query: %v, want 3 rows, not truncated", out)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
