package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runWeft(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

// TestConnectorsImport: the command writes <out>/<name>/app.yaml, which
// validate --connectors then accepts steps of; a bundled name and a
// Swagger 2.0 document are refused with the fix.
func TestConnectorsImport(t *testing.T) {
	t.Parallel()
	doc := filepath.Join("..", "..", "connectors", "apps", "openapi", "testdata", "petstore.yaml")
	dir := t.TempDir()
	code, out, errOut := runWeft(t, "connectors", "import", doc, "--name", "petstore", "--out", dir)
	if code != 0 || !strings.Contains(out, "4 operations") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "petstore", "app.yaml")); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runWeft(t, "connectors", "import", doc, "--name", "petstore", "--out", "-"); code != 0 || !strings.HasPrefix(out, "# Imported from petstore.yaml") {
		t.Fatalf("--out -: exit %d, %q", code, out)
	}

	wf := filepath.Join(t.TempDir(), "wf.yaml")
	if err := os.WriteFile(wf, []byte("name: wf\nsteps:\n  - id: a\n    uses: petstore.create_pet\n    with: { connection: pets, name: Rex }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runWeft(t, "validate", "--connectors", dir, wf); code != 0 {
		t.Fatalf("validate --connectors: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runWeft(t, "validate", wf); code != 1 || !strings.Contains(out, "petstore.create_pet") {
		t.Fatalf("validate without the connectors: exit %d\n%s", code, out)
	}

	if code, _, errOut := runWeft(t, "connectors", "import", doc, "--name", "stripe", "--out", dir); code == 0 || !strings.Contains(errOut, "bundled connector") {
		t.Fatalf("a bundled name: exit %d %q", code, errOut)
	}
	swagger := filepath.Join(t.TempDir(), "s.json")
	_ = os.WriteFile(swagger, []byte(`{"swagger":"2.0","paths":{}}`), 0o644)
	if code, _, errOut := runWeft(t, "connectors", "import", swagger, "--name", "old", "--out", dir); code == 0 || !strings.Contains(errOut, "swagger2openapi") {
		t.Fatalf("swagger 2.0: exit %d %q", code, errOut)
	}
}
