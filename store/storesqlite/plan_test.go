package storesqlite

import (
	"context"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
	"path/filepath"
	"strings"
	"testing"
)

// The retention query runs every minute on the writer: it must walk the
// finished-at index, not every finished execution (with the status index it
// held the writer for hundreds of ms on a large database).
func TestPruneQueryUsesTheFinishedIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := explain(t, s, pruneSelectSQL, 1, 500); !strings.Contains(got, "executions_finished") {
		t.Fatalf("prune plan = %s; want it to search executions_finished", got)
	}
}

// explain returns SQLite's plan of q, one detail per row, joined by "; ".
func explain(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// The status index leaves succeeded executions out (migration 0014). Every
// query by status must still search an index: other statuses through the
// partial index, succeeded through the created_at or workflow index.
func TestStatusQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list := func(f store.ExecutionFilter) (string, []any) {
		q, args, err := listExecutionsSQL(f, 50)
		if err != nil {
			t.Fatal(err)
		}
		return q, args
	}
	count := func(wf string, sts ...weft.ExecutionStatus) (string, []any) { return countExecutionsSQL(wf, sts...) }
	for _, c := range []struct {
		name  string
		q     string
		args  []any
		index string
	}{
		{name: "failed", index: "executions_status"},
		{name: "failed of a workflow", index: "executions_status"},
		{name: "succeeded", index: "executions_created"},
		{name: "succeeded of a workflow", index: "executions_workflow"},
		{name: "queued and waiting counted", index: "executions_"},
		{name: "running counts", q: runningCountsSQL, index: "executions_status"},
	} {
		switch c.name {
		case "failed":
			c.q, c.args = list(store.ExecutionFilter{Status: weft.ExecutionFailed})
		case "failed of a workflow":
			c.q, c.args = list(store.ExecutionFilter{Workflow: "w", Status: weft.ExecutionFailed})
		case "succeeded":
			c.q, c.args = list(store.ExecutionFilter{Status: weft.ExecutionSucceeded})
		case "succeeded of a workflow":
			c.q, c.args = list(store.ExecutionFilter{Workflow: "w", Status: weft.ExecutionSucceeded})
		case "queued and waiting counted":
			c.q, c.args = count("", weft.ExecutionQueued, weft.ExecutionWaiting)
		}
		plan := explain(t, s, c.q, c.args...)
		t.Logf("%s: %s", c.name, plan)
		if !strings.Contains(plan, "INDEX "+c.index) {
			t.Errorf("%s: plan = %s; want it to search %s*", c.name, plan, c.index)
		}
	}
}

// The delivery log keeps two indexes besides its primary key (migration
// 0015): by workflow, and by outcome for the outcomes other than accepted.
// Every list stays a newest-first walk of an index that stops after its
// page (no sort of the whole log), and the retention prune walks the primary
// key from the oldest id instead of an index on received_at.
func TestDeliveryQueriesUseAnIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		name string
		f    store.DeliveryFilter
		want string
	}{
		{name: "all", want: "SCAN webhook_deliveries"},
		{name: "rejected", f: store.DeliveryFilter{Outcome: store.OutcomeRejected}, want: "INDEX webhook_deliveries_outcome"},
		{name: "rejected, next page", f: store.DeliveryFilter{Outcome: store.OutcomeRejected, Page: store.Page{Cursor: workflowCursor("01J")}},
			want: "INDEX webhook_deliveries_outcome"},
		{name: "accepted", f: store.DeliveryFilter{Outcome: store.OutcomeAccepted}, want: "SCAN webhook_deliveries"},
		{name: "of a workflow", f: store.DeliveryFilter{Workflow: "w"}, want: "INDEX webhook_deliveries_workflow"},
		{name: "accepted of a workflow", f: store.DeliveryFilter{Workflow: "w", Outcome: store.OutcomeAccepted},
			want: "INDEX webhook_deliveries_workflow"},
	} {
		q, args, err := listDeliveriesSQL(c.f, 50)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(t, s, q, args...)
		t.Logf("%s: %s", c.name, plan)
		if !strings.Contains(plan, c.want) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan = %s; want %s in id order, without a sort", c.name, plan, c.want)
		}
	}
	plan := explain(t, s, pruneDeliveriesSelectSQL, 1, 1000)
	t.Logf("prune: %s", plan)
	if !strings.Contains(plan, "SCAN webhook_deliveries") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("prune: plan = %s; want a walk of the primary key in id order, without a sort", plan)
	}
}
