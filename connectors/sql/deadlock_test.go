package sql_test

import (
	"sync"
	"testing"

	sqlstep "github.com/weftworks/weft/connectors/sql"
)

// TestIntegrationPostgresDeadlockIsRunAgain: two transactions that lock
// the same rows in opposite order deadlock; PostgreSQL rolls one back, and
// sql.exec runs it again within the attempt, so both steps succeed and
// both writes land.
func TestIntegrationPostgresDeadlockIsRunAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{})
	b.add("db", "postgres", map[string]string{"url": postgresURL(t)})
	table := "weft_deadlock_" + suffix(t)
	b.ok(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "CREATE TABLE " + table + " (id int PRIMARY KEY, n int NOT NULL)"})
	t.Cleanup(func() {
		_, _ = b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "DROP TABLE " + table})
	})
	b.ok(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "INSERT INTO " + table + " VALUES (1, 0), (2, 0)"})

	tx := func(first, second int) map[string]any {
		return map[string]any{"credential": "db", "timeout": "20s", "statements": []any{
			map[string]any{"sql": "UPDATE " + table + " SET n = n + 1 WHERE id = $1", "params": []any{first}},
			map[string]any{"sql": "SELECT pg_sleep(0.3)"},
			map[string]any{"sql": "UPDATE " + table + " SET n = n + 1 WHERE id = $1", "params": []any{second}},
		}}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.run(t, sqlstep.TypeExec, tx(order[0], order[1]))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("transaction %d: %v (a deadlock must be run again, not fail the step)", i+1, err)
		}
	}
	out := b.ok(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT sum(n) AS total FROM " + table})
	if got := rows(t, out)[0]["total"]; got == nil || got.(interface{ String() string }).String() != "4" {
		t.Fatalf("sum after both transactions = %v, want 4 (each added 1 to two rows, once)", got)
	}
}
