package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func listTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"PaginationNoGapsNoDuplicates": testListPagination,
		"Filters":                      testListFilters,
		"Count":                        testCount,
	}
}

var listStatuses = []weft.ExecutionStatus{weft.ExecutionQueued, weft.ExecutionRunning, weft.ExecutionSucceeded, weft.ExecutionFailed}

// seedList creates n executions over three workflows. Every three share a
// created_at, and ids are not in time order, so the (created_at, id) cursor
// is what keeps pages apart.
func seedList(t *testing.T, s store.Store, n int) []weft.Execution {
	var all []weft.Execution
	for i := range n {
		e := newExecution(fmt.Sprintf("e-%03d", (i*37)%n), fmt.Sprintf("wf-%d", i%3), at(time.Duration(i/3)*time.Millisecond))
		e.Status = listStatuses[i%len(listStatuses)]
		mustCreate(t, s, e)
		all = append(all, stored(*e))
	}
	return all
}

func newestFirst(a, b weft.Execution) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

func pageAll(t *testing.T, s store.Store, f store.ExecutionFilter, between func()) []weft.Execution {
	t.Helper()
	var out []weft.Execution
	for pages := 0; ; pages++ {
		page, next, err := s.ListExecutions(ctxFor(t), f)
		if err != nil {
			t.Fatal(err)
		}
		if f.Limit > 0 && len(page) > f.Limit {
			t.Fatalf("page of %d, limit %d", len(page), f.Limit)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		f.Cursor = next
		if between != nil {
			between()
			between = nil
		}
	}
}

func testListPagination(t *testing.T, s store.Store) {
	all := seedList(t, s, 137)
	// New executions arriving while a client pages must not shift the pages
	// it has not read yet.
	late := 0
	got := pageAll(t, s, store.ExecutionFilter{Page: store.Page{Limit: 10}}, func() {
		for i := range 5 {
			mustCreate(t, s, newExecution(fmt.Sprintf("late-%d", i), "wf-0", at(time.Hour)))
			late++
		}
	})
	if len(got) != len(all) {
		t.Fatalf("paged %d executions, want %d", len(got), len(all))
	}
	seen := map[string]bool{}
	for i, e := range got {
		if seen[e.ID] {
			t.Fatalf("%s listed twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && !newestFirst(got[i-1], e) {
			t.Fatalf("not newest first at %d: %s (%v) then %s (%v)", i, got[i-1].ID, got[i-1].CreatedAt, e.ID, e.CreatedAt)
		}
	}
	for _, e := range all {
		if !seen[e.ID] {
			t.Fatalf("%s missing from the pages", e.ID)
		}
	}
	// Items come back whole.
	for _, e := range all {
		if e.ID == got[len(got)-1].ID {
			equal(t, "listed execution", got[len(got)-1], e)
		}
	}

	page, next, err := s.ListExecutions(ctxFor(t), store.ExecutionFilter{})
	if err != nil || len(page) != 50 || next == "" {
		t.Fatalf("default page: %d items, next %q, err %v; want 50 and a cursor", len(page), next, err)
	}
	_, _, err = s.ListExecutions(ctxFor(t), store.ExecutionFilter{Page: store.Page{Cursor: "!!"}})
	wantErr(t, err, weft.ErrInvalid, "garbage cursor")
}

func testListFilters(t *testing.T, s store.Store) {
	all := seedList(t, s, 60)
	count := func(keep func(weft.Execution) bool) int {
		n := 0
		for _, e := range all {
			if keep(e) {
				n++
			}
		}
		return n
	}
	for _, f := range []store.ExecutionFilter{
		{Workflow: "wf-1"},
		{Status: weft.ExecutionFailed},
		{Workflow: "wf-2", Status: weft.ExecutionQueued},
		{Workflow: "nope"},
	} {
		f.Limit = 4
		got := pageAll(t, s, f, nil)
		want := count(func(e weft.Execution) bool {
			return (f.Workflow == "" || e.Workflow == f.Workflow) && (f.Status == "" || e.Status == f.Status)
		})
		if len(got) != want {
			t.Fatalf("filter %+v: %d executions, want %d", f, len(got), want)
		}
		for i, e := range got {
			if (f.Workflow != "" && e.Workflow != f.Workflow) || (f.Status != "" && e.Status != f.Status) {
				t.Fatalf("filter %+v returned %s (%s, %s)", f, e.ID, e.Workflow, e.Status)
			}
			if i > 0 && !newestFirst(got[i-1], e) {
				t.Fatalf("filter %+v: not newest first at %d", f, i)
			}
		}
	}
}

func testCount(t *testing.T, s store.Store) {
	all := seedList(t, s, 40)
	want := func(wf string, statuses ...weft.ExecutionStatus) int {
		n := 0
		for _, e := range all {
			if wf != "" && e.Workflow != wf {
				continue
			}
			match := len(statuses) == 0
			for _, st := range statuses {
				match = match || e.Status == st
			}
			if match {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		wf       string
		statuses []weft.ExecutionStatus
	}{
		{"wf-0", nil},
		{"wf-1", []weft.ExecutionStatus{weft.ExecutionRunning}},
		{"wf-2", []weft.ExecutionStatus{weft.ExecutionQueued, weft.ExecutionFailed}},
		{"", []weft.ExecutionStatus{weft.ExecutionSucceeded}},
		{"missing", nil},
	} {
		got, err := s.CountExecutions(ctxFor(t), c.wf, c.statuses...)
		if err != nil {
			t.Fatal(err)
		}
		if w := want(c.wf, c.statuses...); got != w || (c.wf != "missing" && w == 0) {
			t.Fatalf("CountExecutions(%q, %v) = %d, want %d (non-zero)", c.wf, c.statuses, got, w)
		}
	}
}
