package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/workflow.schema.json")

// TestSchemaFileUpToDate keeps the committed schema (which editors point at)
// equal to what the step catalog generates.
func TestSchemaFileUpToDate(t *testing.T) {
	t.Parallel()
	b, err := workflowSchema()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	var out bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if code := Run(t.Context(), env, []string{"schema"}); code != 0 {
		t.Fatalf("weft schema exited %d: %s", code, out.String())
	}
	path := filepath.Join("..", "..", "docs", "workflow.schema.json")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(committed, out.Bytes()) {
		t.Fatalf("docs/workflow.schema.json is stale (%v): run go test ./internal/cli -run SchemaFile -update", err)
	}
}
