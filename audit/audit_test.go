package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
)

func TestExportFiltersAndPages(t *testing.T) {
	t.Parallel()
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	rec := audit.NewRecorder(st, nil, nil)
	// More than one page of the export's reads (1000), so paging is exercised.
	for i := range 1002 {
		action := "workflow.saved"
		if i%2 == 1 {
			action = "signin"
		}
		rec.Record(ctx, "ada@example.com", "10.0.0.1", action, "wf", map[string]int{"i": i})
	}
	var buf bytes.Buffer
	n, err := audit.Export(ctx, st, &buf, 0, store.AuditFilter{Action: "workflow."})
	if err != nil || n != 501 {
		t.Fatalf("Export(workflow.) = %d, %v; want 501", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first, last store.AuditEntry
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if first.Seq != 1 || last.Seq != 1001 || first.Action != "workflow.saved" || first.Hash == "" {
		t.Fatalf("export runs oldest first with hashes: first %+v, last %+v", first, last)
	}
	rep, err := audit.Verify(ctx, st)
	if err != nil || rep.Broken != nil || rep.Checked != 1002 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	if n, err := audit.Prune(ctx, st, time.Hour, time.Now().Add(2*time.Hour)); err != nil || n != 1002 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	rec.Record(ctx, "ada@example.com", "10.0.0.1", "signin", "ada", nil)
	if rep, err := audit.Verify(ctx, st); err != nil || rep.Broken != nil || rep.From != 1002 || rep.Checked != 1 {
		t.Fatalf("Verify after pruning everything = %+v, %v", rep, err)
	}
}
