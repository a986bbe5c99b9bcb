package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
)

// TestGetLargeWorkflowDoesNotReparse: reading a 20,000-step workflow parsed
// its source on every GET (26 s each). The version saved through the API is
// compiled once, when it is validated, and reads use the engine's cache of
// compiled versions; after a restart (an empty cache) the first read parses
// it once and later reads do not. What is counted is parses, which does not
// depend on the size: under the race detector (which makes parsing and
// encoding 20,000 steps minutes long on two cores) the workflow has 2,000
// steps; without it, as in .ci/run's step without -race, 20,000.
func TestGetLargeWorkflowDoesNotReparse(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{maxBody: 16 << 20})
	var doc strings.Builder
	doc.WriteString("name: big\nsteps:\n")
	steps := 20_000
	if raceEnabled {
		steps = 2_000
	}
	for i := range steps {
		if i == 0 {
			doc.WriteString("  - { id: s0, uses: transform, with: { v: \"{{ trigger.v }}\" } }\n")
			continue
		}
		fmt.Fprintf(&doc, "  - { id: s%d, uses: transform, with: { v: \"{{ steps.s%d.output.v }}\" } }\n", i, i-1)
	}
	res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/big", body: doc.String(), contentType: "application/yaml"})
	if res.status != 201 {
		t.Fatalf("PUT: %d %s", res.status, res.body)
	}
	before := b.engine.WorkflowParses()
	for range 3 {
		res := b.get(t, "/api/v1/workflows/big")
		if res.status != 200 {
			t.Fatalf("GET: %d %s", res.status, res.body)
		}
		var v struct {
			Workflow struct {
				Steps []json.RawMessage `json:"steps"`
			} `json:"workflow"`
		}
		if err := json.Unmarshal(res.body, &v); err != nil || len(v.Workflow.Steps) != steps {
			t.Fatalf("GET returned %d steps (%v), want %d", len(v.Workflow.Steps), err, steps)
		}
	}
	if n := b.engine.WorkflowParses() - before; n != 0 {
		t.Fatalf("three GETs parsed the workflow %d times, want 0 (compiled when saved)", n)
	}

	// A version this process did not save (stored by another process, or
	// before a restart) is parsed by the first read only.
	src := strings.Replace(doc.String(), "name: big\n", "name: big\ndescription: stored elsewhere\n", 1)
	if _, _, err := b.store.PutWorkflow(t.Context(), weft.WorkflowRecord{Name: "big", Source: src, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	before = b.engine.WorkflowParses()
	for range 3 {
		if res := b.get(t, "/api/v1/workflows/big"); res.status != 200 || !strings.Contains(string(res.body), "stored elsewhere") {
			t.Fatalf("GET: %d %.200s", res.status, res.body)
		}
	}
	if n := b.engine.WorkflowParses() - before; n != 1 {
		t.Fatalf("three GETs of a version stored elsewhere parsed it %d times, want 1", n)
	}
}
