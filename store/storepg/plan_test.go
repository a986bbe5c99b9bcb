package storepg

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// The status index leaves succeeded executions out (migration 0014). Every
// query by status must still search an index, also in the generic plan a
// prepared statement settles on: other statuses through the partial index,
// succeeded ones through the created_at or workflow index.
func TestStatusQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t, Options{})
	// A history like a real one: 20,000 executions of 10 workflows, 1 in
	// 50 failed, a few in flight.
	if _, err := s.pool.Exec(ctx, `INSERT INTO executions (id, workflow, workflow_version, status, created_at, finished_at)
		SELECT lpad(i::text, 8, '0'), 'w' || (i % 10), 1,
			CASE WHEN i % 50 = 0 THEN 'failed' WHEN i > 19990 THEN 'running' ELSE 'succeeded' END,
			now() - (20000 - i) * interval '1 second',
			CASE WHEN i > 19990 THEN NULL ELSE now() - (20000 - i) * interval '1 second' END
		FROM generate_series(1, 20000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE executions"); err != nil {
		t.Fatal(err)
	}
	explain := genericPlans(t, ctx, s)
	list := func(f store.ExecutionFilter) (string, []any) {
		q, args, err := listExecutionsSQL(f, 50)
		if err != nil {
			t.Fatal(err)
		}
		return q, args
	}
	for _, c := range []struct {
		name  string
		f     *store.ExecutionFilter
		q     string
		args  []any
		index string
	}{
		// Without a workflow the generic plan may walk created_at order and
		// filter, as it did with the full status index (a custom plan, which
		// knows how rare the status is, takes the status index and sorts).
		{name: "failed", f: &store.ExecutionFilter{Status: weft.ExecutionFailed}, index: "executions_"},
		{name: "failed of a workflow", f: &store.ExecutionFilter{Workflow: "w1", Status: weft.ExecutionFailed}, index: "executions_status"},
		{name: "succeeded", f: &store.ExecutionFilter{Status: weft.ExecutionSucceeded}, index: "executions_created"},
		{name: "succeeded of a workflow", f: &store.ExecutionFilter{Workflow: "w1", Status: weft.ExecutionSucceeded}, index: "executions_workflow"},
		{name: "queued and waiting counted", q: countExecutionsSQL(weft.ExecutionQueued, weft.ExecutionWaiting),
			args: []any{"", []string{"queued", "waiting"}}, index: "executions_"},
		{name: "running of a workflow counted", q: runningCountSQL, args: []any{"w1"}, index: "executions_"},
	} {
		if c.f != nil {
			c.q, c.args = list(*c.f)
		}
		plan := explain(c.q, c.args...)
		t.Logf("%s:\n%s", c.name, plan)
		if !strings.Contains(plan, "Index") || !strings.Contains(plan, c.index) || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: plan =\n%s\nwant an index scan of %s*", c.name, plan, c.index)
		}
	}
}

// The delivery log keeps two indexes besides its primary key (migration
// 0015): by workflow, and by outcome for the outcomes other than accepted.
// Every list, in the generic plan too, stays an index scan newest first
// (no sequential scan of the log), and the retention prune walks the primary
// key from the oldest id instead of an index on received_at.
func TestDeliveryQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t, Options{})
	// A log like a real one: 20,000 deliveries to 10 workflows, 1 in 50
	// rejected, 1 in 100 a duplicate, the rest accepted.
	if _, err := s.pool.Exec(ctx, `INSERT INTO webhook_deliveries (id, workflow, path, received_at, method, status, outcome)
		SELECT lpad(i::text, 8, '0'), 'w' || (i % 10), 'hooks/w' || (i % 10), now() - (20000 - i) * interval '1 second', 'POST',
			CASE WHEN i % 50 = 0 THEN 401 ELSE 202 END,
			CASE WHEN i % 50 = 0 THEN 'rejected' WHEN i % 100 = 1 THEN 'duplicate' ELSE 'accepted' END
		FROM generate_series(1, 20000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "ANALYZE webhook_deliveries"); err != nil {
		t.Fatal(err)
	}
	explain := genericPlans(t, ctx, s)
	for _, c := range []struct {
		name  string
		f     store.DeliveryFilter
		index string
	}{
		{name: "all", index: "webhook_deliveries_pkey"},
		{name: "rejected", f: store.DeliveryFilter{Outcome: store.OutcomeRejected}, index: "webhook_deliveries_outcome"},
		{name: "rejected of a workflow", f: store.DeliveryFilter{Workflow: "w0", Outcome: store.OutcomeRejected}, index: "webhook_deliveries_"},
		{name: "accepted", f: store.DeliveryFilter{Outcome: store.OutcomeAccepted}, index: "webhook_deliveries_pkey"},
		// With one workflow in ten the generic plan may walk the primary key
		// newest first and filter, as it did before migration 0015.
		{name: "of a workflow", f: store.DeliveryFilter{Workflow: "w1"}, index: "webhook_deliveries_"},
		{name: "accepted of a workflow", f: store.DeliveryFilter{Workflow: "w1", Outcome: store.OutcomeAccepted},
			index: "webhook_deliveries_"},
	} {
		q, args, err := listDeliveriesSQL(c.f, 50)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(q, args...)
		t.Logf("%s:\n%s", c.name, plan)
		if !strings.Contains(plan, "Index") || !strings.Contains(plan, c.index) || strings.Contains(plan, "Seq Scan") ||
			strings.Contains(plan, "Sort") {
			t.Errorf("%s: plan =\n%s\nwant an index scan of %s* in id order", c.name, plan, c.index)
		}
	}
	plan := explain(pruneDeliveriesSelectSQL, time.Now(), 1000)
	t.Logf("prune:\n%s", plan)
	if !strings.Contains(plan, "webhook_deliveries_pkey") || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Sort") {
		t.Errorf("prune: plan =\n%s\nwant a walk of the primary key in id order", plan)
	}
}

// genericPlans returns a function that shows the plan PostgreSQL runs for a
// query prepared as a named statement, in the generic plan a prepared
// statement settles on (plan_cache_mode force_generic_plan), on a connection
// held until the test ends.
func genericPlans(t *testing.T, ctx context.Context, s *Store) func(q string, args ...any) string {
	t.Helper()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	return func(q string, args ...any) string {
		t.Helper()
		// A named prepared statement: EXPLAIN EXECUTE shows the plan it runs.
		if _, err := conn.Exec(ctx, "DEALLOCATE ALL"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Conn().Prepare(ctx, "q", q); err != nil {
			t.Fatal(err)
		}
		params := make([]string, len(args))
		for i := range args {
			params[i] = "$" + string(rune('1'+i))
		}
		rows, err := conn.Query(ctx, "EXPLAIN EXECUTE q("+strings.Join(params, ", ")+")",
			append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
}
