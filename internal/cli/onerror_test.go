package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateWarnsAboutMissingOnError: an on_error naming a workflow that
// is not among the files is a warning with the position, not a failure;
// naming one of the files given is silent.
func TestValidateWarnsAboutMissingOnError(t *testing.T) {
	t.Parallel()
	main := "name: main\non_error: alerts\nsteps:\n  - id: a\n    uses: transform\n"
	alerts := "name: alerts\nsteps:\n  - id: a\n    uses: transform\n"
	dir := writeFiles(t, map[string]string{"main.yaml": main, "alerts.yaml": alerts})
	file := filepath.Join(dir, "main.yaml")

	res := runCLI(t, nil, "validate", file)
	want := file + `:2:11: warning: on_error names workflow "alerts", which is not among the files given`
	if res.code != 0 || !strings.HasPrefix(res.stdout, want) || !strings.Contains(res.stdout, "1 file OK") {
		t.Errorf("missing handler: code %d, want 0 and a warning starting %q\nstdout %q\nstderr %q", res.code, want, res.stdout, res.stderr)
	}
	res = runCLI(t, nil, "validate", dir)
	if res.code != 0 || strings.Contains(res.stdout, "warning") {
		t.Errorf("handler given too: code %d, want 0 without a warning\nstdout %q", res.code, res.stdout)
	}
}

// TestApplyWarnsAboutMissingOnError: weft apply asks the server for an
// on_error target that is not among its files, and warns only while the
// server does not have it.
func TestApplyWarnsAboutMissingOnError(t *testing.T) {
	t.Parallel()
	srv := clientServer(t)
	vars := map[string]string{"WEFT_SERVER": srv.URL, "WEFT_TOKEN": clientTestToken}
	main := "name: main\non_error: alerts\nsteps:\n  - id: a\n    uses: transform\n"
	alerts := "name: alerts\nsteps:\n  - id: a\n    uses: transform\n"
	dir := writeFiles(t, map[string]string{"main.yaml": main, "alerts.yaml": alerts})

	res := runCLI(t, vars, "apply", filepath.Join(dir, "main.yaml"))
	if res.code != 0 || !strings.Contains(res.stderr, `warning: on_error names workflow "alerts", which the server does not have`) {
		t.Errorf("handler missing on the server: code %d\nstdout %q\nstderr %q", res.code, res.stdout, res.stderr)
	}
	if res = runCLI(t, vars, "apply", filepath.Join(dir, "alerts.yaml")); res.code != 0 {
		t.Fatalf("applying the handler: code %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, vars, "apply", filepath.Join(dir, "main.yaml"))
	if res.code != 0 || strings.Contains(res.stderr, "warning") {
		t.Errorf("handler on the server: code %d, want no warning\nstderr %q", res.code, res.stderr)
	}
}
