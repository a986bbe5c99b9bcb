package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func workflowTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"PutGetVersions":      testWorkflowVersions,
		"DeleteKeepsVersions": testWorkflowDelete,
		"WebhookPath":         testWorkflowWebhookPath,
		"ListPagination":      testWorkflowList,
		"InvalidName":         testWorkflowInvalidName,
		"GetMissing":          testWorkflowMissing,
		"SourceIsByteExact":   testWorkflowSourceExact,
	}
}

func testWorkflowVersions(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	before := time.Now().Add(-time.Second)
	rec := weft.WorkflowRecord{Name: "orders", Source: "name: orders\n", Description: "d", WebhookPath: "/hooks/orders", Enabled: true}
	v1, changed, err := s.PutWorkflow(ctx, rec)
	if err != nil || !changed || v1.Version != 1 {
		t.Fatalf("first put: version %d, changed %v, err %v; want 1, true, nil", v1.Version, changed, err)
	}
	if v1.CreatedAt.Before(before) || v1.CreatedAt.Location() != time.UTC || !v1.UpdatedAt.Equal(v1.CreatedAt) {
		t.Fatalf("first put: created %v updated %v; want a recent UTC time, equal", v1.CreatedAt, v1.UpdatedAt)
	}
	if v1.Source != rec.Source || v1.Description != "d" || v1.WebhookPath != "/hooks/orders" || !v1.Enabled {
		t.Fatalf("first put returned %+v", v1)
	}
	got, err := s.GetWorkflow(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "GetWorkflow after put", got, v1)

	same, changed, err := s.PutWorkflow(ctx, rec)
	if err != nil || changed {
		t.Fatalf("identical put: changed %v err %v; want false, nil", changed, err)
	}
	equal(t, "identical put returns the active record", same, v1)

	rec.Enabled = false
	v2, changed, err := s.PutWorkflow(ctx, rec)
	if err != nil || !changed || v2.Version != 2 || v2.Enabled {
		t.Fatalf("disabling put: version %d enabled %v changed %v err %v; want 2, false, true, nil", v2.Version, v2.Enabled, changed, err)
	}
	if !v2.CreatedAt.Equal(v1.CreatedAt) || v2.UpdatedAt.Before(v1.UpdatedAt) {
		t.Fatalf("v2 created %v updated %v; want created kept from v1 (%v), updated not earlier", v2.CreatedAt, v2.UpdatedAt, v1.CreatedAt)
	}

	rec.Source = "name: orders\nsteps: []\n"
	v3, changed, err := s.PutWorkflow(ctx, rec)
	if err != nil || !changed || v3.Version != 3 {
		t.Fatalf("new source: version %d changed %v err %v; want 3, true, nil", v3.Version, changed, err)
	}
	active, err := s.GetWorkflow(ctx, "orders")
	if err != nil || active.Version != 3 || active.Source != rec.Source {
		t.Fatalf("active after v3: %+v, %v", active, err)
	}
	old, err := s.GetWorkflowVersion(ctx, "orders", 1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "version 1", old, v1)
	_, err = s.GetWorkflowVersion(ctx, "orders", 4)
	wantErr(t, err, weft.ErrNotFound, "GetWorkflowVersion(4)")
}

func testWorkflowDelete(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	v1, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "gone", Source: "a", WebhookPath: "/gone", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "gone", Source: "b", WebhookPath: "/gone", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWorkflow(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetWorkflow(ctx, "gone")
	wantErr(t, err, weft.ErrNotFound, "GetWorkflow after delete")
	_, err = s.WorkflowByWebhookPath(ctx, "/gone")
	wantErr(t, err, weft.ErrNotFound, "WorkflowByWebhookPath after delete")
	wantErr(t, s.DeleteWorkflow(ctx, "gone"), weft.ErrNotFound, "second delete")
	list, _, err := s.ListWorkflows(ctx, store.Page{})
	if err != nil || len(list) != 0 {
		t.Fatalf("list after delete: %v, %v; want empty", list, err)
	}
	old, err := s.GetWorkflowVersion(ctx, "gone", 1)
	if err != nil {
		t.Fatalf("version of a deleted workflow: %v", err)
	}
	equal(t, "version 1 after delete", old, v1)

	// Putting it again continues the numbering, so old executions still
	// point at the version they ran, and counts as a change even with the
	// last source.
	again, changed, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "gone", Source: "b", WebhookPath: "/gone", Enabled: true})
	if err != nil || !changed || again.Version != 3 {
		t.Fatalf("put after delete: version %d changed %v err %v; want 3, true, nil", again.Version, changed, err)
	}
	if _, err := s.WorkflowByWebhookPath(ctx, "/gone"); err != nil {
		t.Fatalf("webhook path after re-put: %v", err)
	}
}

func testWorkflowWebhookPath(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	off, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "off", Source: "x", WebhookPath: "/hooks/off", Enabled: false})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.WorkflowByWebhookPath(ctx, "/hooks/off")
	if err != nil {
		t.Fatalf("a disabled workflow is still found by its path: %v", err)
	}
	equal(t, "by path", got, off)
	_, err = s.WorkflowByWebhookPath(ctx, "/hooks/other")
	wantErr(t, err, weft.ErrNotFound, "unknown path")

	_, _, err = s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "thief", Source: "y", WebhookPath: "/hooks/off", Enabled: true})
	wantErr(t, err, weft.ErrConflict, "second workflow on the same path")
	_, err = s.GetWorkflow(ctx, "thief")
	wantErr(t, err, weft.ErrNotFound, "the rejected workflow was not stored")

	// Moving the path frees it for another workflow.
	if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "off", Source: "x2", WebhookPath: "/hooks/moved"}); err != nil {
		t.Fatal(err)
	}
	thief, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "thief", Source: "y", WebhookPath: "/hooks/off", Enabled: true})
	if err != nil {
		t.Fatalf("path freed by the old holder: %v", err)
	}
	got, err = s.WorkflowByWebhookPath(ctx, "/hooks/off")
	if err != nil || got.Name != "thief" || got.Version != thief.Version {
		t.Fatalf("by path after move: %+v, %v; want thief", got, err)
	}
	got, err = s.WorkflowByWebhookPath(ctx, "/hooks/moved")
	if err != nil || got.Name != "off" || got.Version != 2 {
		t.Fatalf("by moved path: %+v, %v; want off v2", got, err)
	}
}

func testWorkflowList(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	var want []string
	for i := 7; i >= 1; i-- { // inserted out of order
		name := fmt.Sprintf("wf-%02d", i)
		if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: name, Source: name, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 7; i++ {
		want = append(want, fmt.Sprintf("wf-%02d", i))
	}
	// A second version must not list the workflow twice.
	if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "wf-03", Source: "v2", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	var got []string
	cursor, pages := "", 0
	for {
		page, next, err := s.ListWorkflows(ctx, store.Page{Cursor: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page) > 3 {
			t.Fatalf("page of %d, limit 3", len(page))
		}
		for _, r := range page {
			got = append(got, r.Name)
			if r.Name == "wf-03" && r.Version != 2 {
				t.Fatalf("wf-03 listed at version %d, want the active 2", r.Version)
			}
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	equal(t, "names over all pages", got, want)
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
	all, next, err := s.ListWorkflows(ctx, store.Page{})
	if err != nil || len(all) != 7 || next != "" {
		t.Fatalf("default page: %d records, next %q, err %v; want 7, \"\", nil", len(all), next, err)
	}
	_, _, err = s.ListWorkflows(ctx, store.Page{Cursor: "%%% not a cursor"})
	wantErr(t, err, weft.ErrInvalid, "garbage cursor")
}

func testWorkflowInvalidName(t *testing.T, s store.Store) {
	for _, name := range []string{"", "Has Space", "-leading"} {
		_, _, err := s.PutWorkflow(ctxFor(t), weft.WorkflowRecord{Name: name, Source: "x"})
		wantErr(t, err, weft.ErrInvalid, fmt.Sprintf("name %q", name))
	}
}

func testWorkflowMissing(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	_, err := s.GetWorkflow(ctx, "nope")
	wantErr(t, err, weft.ErrNotFound, "GetWorkflow")
	_, err = s.GetWorkflowVersion(ctx, "nope", 1)
	wantErr(t, err, weft.ErrNotFound, "GetWorkflowVersion")
	wantErr(t, s.DeleteWorkflow(ctx, "nope"), weft.ErrNotFound, "DeleteWorkflow")
}

func testWorkflowSourceExact(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	src := "name: exact   \r\n# ünïcödé ✓\n\tsteps: []\n\n\n"
	if _, _, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "exact", Source: src, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetWorkflow(ctx, "exact")
	if err != nil || got.Source != src {
		t.Fatalf("source round trip: %q, %v; want %q", got.Source, err, src)
	}
	// Whitespace is a change: the file is the source of truth.
	_, changed, err := s.PutWorkflow(ctx, weft.WorkflowRecord{Name: "exact", Source: src + " ", Enabled: true})
	if err != nil || !changed {
		t.Fatalf("put with one more space: changed %v err %v; want true, nil", changed, err)
	}
}
