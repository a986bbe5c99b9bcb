package openapi_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/connectors/apps/openapi"
)

var update = flag.Bool("update", false, "rewrite the golden app.yaml files in testdata/")

// TestGolden imports each testdata/<name>.yaml and compares the app.yaml
// written with testdata/<name>.app.yaml (and the warnings with
// <name>.warnings.txt). Run with -update to rewrite them after a change,
// then review the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"petstore", "features"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := openapi.Import(context.Background(), raw, openapi.Options{Name: name})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			got, err := openapi.Marshal(&res.App, name+".yaml")
			if err != nil {
				t.Fatal(err)
			}
			warnings := []byte(strings.Join(res.Warnings, "\n") + "\n")
			golden(t, filepath.Join("testdata", name+".app.yaml"), got)
			golden(t, filepath.Join("testdata", name+".warnings.txt"), warnings)
			if _, err := apps.Parse(name+"/app.yaml", got); err != nil {
				t.Fatalf("the written spec does not parse back: %v", err)
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the import (run with -update and review the diff):\n--- got ---\n%s", path, got)
	}
}
