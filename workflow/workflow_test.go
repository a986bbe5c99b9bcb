package workflow

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testRegistry holds fake step types shaped like the real connectors; this
// package must not import connectors/.
func testRegistry(t testing.TB) *step.Registry {
	t.Helper()
	reg := step.NewRegistry()
	noop := step.HandlerFunc(func(context.Context, *step.Request) (step.Result, error) { return step.Result{}, nil })
	specs := []step.Spec{
		{
			Type: "http.request", Title: "HTTP request", Category: step.CategoryHTTP,
			Fields: []step.Field{
				{Name: "method", Type: step.String, Description: "HTTP method", Default: "GET", Enum: []string{"GET", "POST", "PUT", "PATCH", "DELETE"}},
				{Name: "url", Type: step.String, Description: "the URL to call", Required: true},
				{Name: "headers", Type: step.Object, Description: "request headers"},
				{Name: "json", Type: step.Any, Description: "JSON body"},
				{Name: "timeout", Type: step.Duration, Description: "per-attempt timeout"},
				{Name: "follow_redirects", Type: step.Boolean, Description: "follow 3xx"},
				{Name: "auth", Type: step.Object, Description: "authentication", Fields: []step.Field{
					{Name: "kind", Type: step.String, Description: "auth kind", Required: true, Enum: []string{"bearer", "basic"}},
					{Name: "credential", Type: step.String, Description: "credential name"},
				}},
			},
		},
		{Type: "transform", Title: "Transform", Category: step.CategoryCore, Pure: true, AllowExtra: true},
		{
			Type: "respond", Title: "Respond", Category: step.CategoryCore, Pure: true,
			Fields: []step.Field{
				{Name: "status", Type: step.Integer, Description: "HTTP status", Default: 200},
				{Name: "headers", Type: step.Object, Description: "response headers"},
				{Name: "body", Type: step.Any, Description: "response body"},
			},
		},
		{
			// Like sql.query/sql.exec: the SQL text is a literal.
			Type: "sql.exec", Title: "SQL statement", Category: step.CategoryData,
			Fields: []step.Field{
				{Name: "credential", Type: step.String, Description: "database credential", Required: true},
				{Name: "sql", Type: step.String, Description: "one statement", Literal: "pass values as parameters instead: write $1 in the SQL and list the values under params"},
				{Name: "params", Type: step.Array, Description: "values"},
				{Name: "statements", Type: step.Array, Description: "one transaction", Literal: "pass values as parameters instead",
					Items: &step.Field{Type: step.Object, Fields: []step.Field{
						{Name: "sql", Type: step.String, Description: "one statement", Required: true, Literal: "pass values as parameters instead: write $1 in the SQL and list the values under params"},
						{Name: "params", Type: step.Array, Description: "values"},
					}}},
			},
		},
		{
			// Like the real wait: exactly one of four modes.
			Type: "wait", Title: "Wait", Category: step.CategoryCore,
			Fields: []step.Field{
				{Name: "for", Type: step.Duration, Description: "how long"},
				{Name: "until", Type: step.String, Description: "when"},
				{Name: "event", Type: step.String, Description: "event name"},
				{Name: "resume", Type: step.Boolean, Description: "wait for the resume URL"},
				{Name: "match", Type: step.Any, Description: "event filter", Deferred: true},
				{Name: "tags", Type: step.Array, Description: "labels", Items: &step.Field{Type: step.String}},
			},
			OneOf: []string{"for", "until", "event", "resume"},
		},
	}
	for _, s := range specs {
		if err := reg.Add(s, noop); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// TestGolden parses every testdata/*.yaml and compares the diagnostics (or
// "ok") with the .golden file beside it. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := "ok\n"
			if _, err := Parse(filepath.Base(file), src, reg); err != nil {
				var ds Diagnostics
				if !errors.As(err, &ds) {
					t.Fatalf("Parse returned %T, want Diagnostics: %v", err, err)
				}
				if !errors.Is(err, weft.ErrInvalid) {
					t.Error("Diagnostics do not wrap weft.ErrInvalid")
				}
				got = ds.Error() + "\n"
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
