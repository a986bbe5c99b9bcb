package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func searchTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"TriggerData":          testSearchInput,
		"TimeRangeAndIDPrefix": testSearchRangePrefix,
		"ScanBound":            testSearchScanBound,
		"HostileFilters":       testSearchHostile,
	}
}

// seedSearch creates n executions of "wf", one a millisecond apart, whose
// trigger data carries body.customer.{id,vip} and a top-level kind.
func seedSearch(t *testing.T, s store.Store, n int) []weft.Execution {
	var all []weft.Execution
	for i := range n {
		e := newExecution(fmt.Sprintf("01S%04d", i), "wf", at(time.Duration(i)*time.Millisecond))
		e.Input = json.RawMessage(fmt.Sprintf(`{"kind":%q,"body":{"customer":{"id":%d,"vip":%t,"name":"c%d"}}}`,
			[]string{"order", "refund"}[i%2], i%5, i%3 == 0, i))
		mustCreate(t, s, e)
		all = append(all, stored(*e))
	}
	return all
}

// searchAll follows the cursor and returns every item and the pages read.
func searchAll(t *testing.T, s store.Store, q store.ExecutionSearch) ([]weft.Execution, []store.ExecutionPage) {
	t.Helper()
	var (
		out   []weft.Execution
		pages []store.ExecutionPage
	)
	for range 1000 {
		p, err := s.SearchExecutions(ctxFor(t), q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		if q.Limit > 0 && len(p.Items) > q.Limit {
			t.Fatalf("page of %d, limit %d", len(p.Items), q.Limit)
		}
		out = append(out, p.Items...)
		pages = append(pages, p)
		if p.Cursor == "" {
			return out, pages
		}
		q.Cursor = p.Cursor
	}
	t.Fatal("search pagination does not end")
	return nil, nil
}

func joinIDs(es []weft.Execution) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.ID
	}
	return strings.Join(s, ",")
}

func newestIDs(all []weft.Execution, keep func(i int, e weft.Execution) bool) string {
	var out []weft.Execution
	for i := len(all) - 1; i >= 0; i-- {
		if keep(i, all[i]) {
			out = append(out, all[i])
		}
	}
	return joinIDs(out)
}

func testSearchInput(t *testing.T, s store.Store) {
	all := seedSearch(t, s, 40)
	for _, c := range []struct {
		path, value string
		keep        func(i int) bool
	}{
		{"kind", "refund", func(i int) bool { return i%2 == 1 }},
		{"body.customer.id", "3", func(i int) bool { return i%5 == 3 }},
		{"body.customer.vip", "true", func(i int) bool { return i%3 == 0 }},
		{"body.customer.name", "c17", func(i int) bool { return i == 17 }},
		{"body.customer.missing", "x", func(int) bool { return false }},
		{"kind.deeper", "order", func(int) bool { return false }},
	} {
		path, err := store.ParseInputPath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := searchAll(t, s, store.ExecutionSearch{ExecutionFilter: store.ExecutionFilter{Page: store.Page{Limit: 3}},
			Input: &store.InputMatch{Path: path, Value: c.value}})
		want := newestIDs(all, func(i int, _ weft.Execution) bool { return c.keep(i) })
		if joinIDs(got) != want {
			t.Fatalf("%s = %s:\n got %s\nwant %s", c.path, c.value, joinIDs(got), want)
		}
		for _, e := range got {
			for _, w := range all {
				if w.ID == e.ID {
					equal(t, "searched execution", e, w)
				}
			}
		}
	}
	// Combined with the workflow and status filters.
	got, _ := searchAll(t, s, store.ExecutionSearch{ExecutionFilter: store.ExecutionFilter{Workflow: "other", Page: store.Page{Limit: 5}},
		Input: &store.InputMatch{Path: []string{"kind"}, Value: "order"}})
	if len(got) != 0 {
		t.Fatalf("workflow filter ignored: %s", joinIDs(got))
	}
}

func testSearchRangePrefix(t *testing.T, s store.Store) {
	all := seedSearch(t, s, 30)
	from, to := at(10*time.Millisecond), at(20*time.Millisecond)
	got, _ := searchAll(t, s, store.ExecutionSearch{ExecutionFilter: store.ExecutionFilter{Page: store.Page{Limit: 4}}, From: from, To: to})
	want := newestIDs(all, func(i int, _ weft.Execution) bool { return i >= 10 && i < 20 })
	if joinIDs(got) != want {
		t.Fatalf("time range:\n got %s\nwant %s", joinIDs(got), want)
	}
	got, _ = searchAll(t, s, store.ExecutionSearch{From: from, To: to, Input: &store.InputMatch{Path: []string{"kind"}, Value: "order"}})
	want = newestIDs(all, func(i int, _ weft.Execution) bool { return i >= 10 && i < 20 && i%2 == 0 })
	if joinIDs(got) != want {
		t.Fatalf("time range and trigger data:\n got %s\nwant %s", joinIDs(got), want)
	}
	got, _ = searchAll(t, s, store.ExecutionSearch{IDPrefix: "01S001"})
	want = newestIDs(all, func(i int, _ weft.Execution) bool { return i >= 10 && i < 20 })
	if joinIDs(got) != want {
		t.Fatalf("id prefix:\n got %s\nwant %s", joinIDs(got), want)
	}
	got, _ = searchAll(t, s, store.ExecutionSearch{IDPrefix: "01T"})
	if len(got) != 0 {
		t.Fatalf("id prefix 01T: %s", joinIDs(got))
	}
}

// A filter that matches nothing reads at most MaxScan rows per request and
// answers an empty page with a cursor that goes on where it stopped.
func testSearchScanBound(t *testing.T, s store.Store) {
	all := seedSearch(t, s, 45)
	q := store.ExecutionSearch{ExecutionFilter: store.ExecutionFilter{Page: store.Page{Limit: 5}},
		Input: &store.InputMatch{Path: []string{"kind"}, Value: "nothing"}, MaxScan: 10}
	got, pages := searchAll(t, s, q)
	if len(got) != 0 {
		t.Fatalf("matched %s", joinIDs(got))
	}
	if len(pages) != 5 {
		t.Fatalf("%d pages for 45 rows read 10 at a time, want 5", len(pages))
	}
	for i, p := range pages {
		if p.Scanned > 10 {
			t.Fatalf("page %d read %d rows, bound 10", i, p.Scanned)
		}
		if i < 4 && (!p.ScanLimited || p.Cursor == "") {
			t.Fatalf("page %d: limited %v cursor %q; want limited with a cursor", i, p.ScanLimited, p.Cursor)
		}
	}
	if last := pages[4]; last.ScanLimited || last.Scanned != 5 {
		t.Fatalf("last page: limited %v, scanned %d; want the 5 rows left", last.ScanLimited, last.Scanned)
	}
	// Matches spread over the bound are all found by following the cursor.
	q.Input.Value = "refund"
	got, _ = searchAll(t, s, q)
	if len(got) != 22 {
		t.Fatalf("found %d refunds over bounded pages, want 22", len(got))
	}
	// A status without a workflow has no index in time order: the bound
	// holds for it too, and it still narrows.
	for _, tc := range []struct {
		status weft.ExecutionStatus
		want   int
	}{{all[0].Status, 22}, {otherStatus(all[0].Status), 0}} {
		q.Status = tc.status
		got, pages = searchAll(t, s, q)
		if len(got) != tc.want {
			t.Fatalf("status %s: found %d refunds, want %d", tc.status, len(got), tc.want)
		}
		for i, p := range pages {
			if p.Scanned > 10 {
				t.Fatalf("status %s: page %d read %d rows, bound 10", tc.status, i, p.Scanned)
			}
		}
	}
}

func otherStatus(st weft.ExecutionStatus) weft.ExecutionStatus {
	if st == weft.ExecutionFailed {
		return weft.ExecutionSucceeded
	}
	return weft.ExecutionFailed
}

func testSearchHostile(t *testing.T, s store.Store) {
	seedSearch(t, s, 3)
	long := strings.Repeat("a", 10_000)
	for name, q := range map[string]store.ExecutionSearch{
		"long path":       {Input: &store.InputMatch{Path: []string{long}, Value: "x"}},
		"deep path":       {Input: &store.InputMatch{Path: strings.Split(strings.Repeat("a.", 40)+"a", "."), Value: "x"}},
		"long value":      {Input: &store.InputMatch{Path: []string{"kind"}, Value: long}},
		"quote in path":   {Input: &store.InputMatch{Path: []string{"a'b"}, Value: "x"}},
		"dollar in path":  {Input: &store.InputMatch{Path: []string{"$"}, Value: "x"}},
		"empty part":      {Input: &store.InputMatch{Path: []string{"a", ""}, Value: "x"}},
		"long id prefix":  {IDPrefix: long},
		"wildcard prefix": {IDPrefix: "01%"},
	} {
		_, err := s.SearchExecutions(ctxFor(t), q)
		if !errors.Is(err, weft.ErrInvalid) {
			t.Fatalf("%s: err %v, want weft.ErrInvalid", name, err)
		}
	}
	for _, p := range []string{long, "a..b", "1a", "a b", "a.b'"} {
		if _, err := store.ParseInputPath(p); !errors.Is(err, weft.ErrInvalid) {
			t.Fatalf("ParseInputPath(%.20q): err %v, want weft.ErrInvalid", p, err)
		}
	}
}
