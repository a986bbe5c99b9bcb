package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
)

const clientTestToken = "cli-test-token-0123456789"

// clientServer starts an API server on its own SQLite database.
func clientServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	h, err := api.New(api.Config{Engine: eng, Store: st, Registry: reg, Tokens: api.StaticToken(sha256.Sum256([]byte(clientTestToken)))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		_ = st.Close()
	})
	return srv
}

type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line with the given environment variables.
func runCLI(t *testing.T, vars map[string]string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(""), Getenv: func(k string) string { return vars[k] }}
	code := Run(context.Background(), env, args)
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	goodWorkflow = "name: good\nsteps:\n  - id: a\n    uses: transform\n    with: { x: 1 }\n"
	badWorkflow  = "name: bad\nsteps:\n  - id: a\n    uses: nope\n"
	failWorkflow = "name: failing\nsteps:\n  - id: boom\n    uses: fail\n    with: { message: no }\n"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"good.yaml":         goodWorkflow,
		"nested/other.yml":  strings.Replace(goodWorkflow, "good", "other", 1),
		"nested/j.json":     `{"name": "j", "steps": [{"id": "a", "uses": "transform"}]}`,
		"notes.txt":         "not a workflow",
		".hidden/skip.yaml": badWorkflow,
	})
	res := runCLI(t, nil, "validate", dir)
	if res.code != 0 || strings.TrimSpace(res.stdout) != "3 files OK" {
		t.Errorf("valid dir: code %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	bad := filepath.Join(writeFiles(t, map[string]string{"bad.yaml": badWorkflow}), "bad.yaml")
	res = runCLI(t, nil, "validate", filepath.Join(dir, "good.yaml"), bad)
	if res.code != 1 || !strings.HasPrefix(res.stdout, bad+":4:11: ") || !strings.Contains(res.stderr, "1 problem") {
		t.Errorf("invalid file: code %d\nstdout %q\nstderr %q", res.code, res.stdout, res.stderr)
	}

	dup := writeFiles(t, map[string]string{"a.yaml": goodWorkflow, "b.yaml": goodWorkflow})
	if res := runCLI(t, nil, "validate", dup); res.code != 1 || !strings.Contains(res.stdout, "also used by") {
		t.Errorf("duplicate names: %d %s", res.code, res.stdout)
	}
	if res := runCLI(t, nil, "validate", filepath.Join(dir, "missing.yaml")); res.code != 1 || !strings.Contains(res.stderr, "missing.yaml") {
		t.Errorf("missing file: %d %s", res.code, res.stderr)
	}
	if res := runCLI(t, nil, "validate"); res.code != 2 || !strings.Contains(res.stderr, "Usage") {
		t.Errorf("no args: %d %s", res.code, res.stderr)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	srv := clientServer(t)
	vars := map[string]string{"WEFT_SERVER": srv.URL, "WEFT_TOKEN": clientTestToken}
	dir := writeFiles(t, map[string]string{"good.yaml": goodWorkflow, "f.yaml": failWorkflow})

	res := runCLI(t, vars, "apply", dir)
	if res.code != 0 || !strings.Contains(res.stdout, "created   good") || !strings.Contains(res.stdout, "created   failing") {
		t.Fatalf("first apply: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, vars, "apply", dir)
	if res.code != 0 || strings.Count(res.stdout, "unchanged") != 2 {
		t.Errorf("second apply: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "good.yaml"), []byte(strings.Replace(goodWorkflow, "x: 1", "x: 2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, nil, "apply", dir, "--server", srv.URL, "--token", clientTestToken)
	if res.code != 0 || !strings.Contains(res.stdout, "updated   good (version 2") {
		t.Errorf("changed apply (flags after files): %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// A local problem: nothing is sent.
	bad := writeFiles(t, map[string]string{"bad.yaml": badWorkflow})
	if res := runCLI(t, vars, "apply", bad); res.code != 1 || !strings.Contains(res.stdout, "bad.yaml:4:11:") || !strings.Contains(res.stderr, "nothing was applied") {
		t.Errorf("invalid apply: %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// A server-side problem: a webhook path held by another workflow.
	hooks := writeFiles(t, map[string]string{
		"a.yaml": "name: hook-a\non:\n  webhook: { path: same }\nsteps:\n  - id: a\n    uses: transform\n",
	})
	if res := runCLI(t, vars, "apply", hooks); res.code != 0 {
		t.Fatalf("%s%s", res.stdout, res.stderr)
	}
	clash := writeFiles(t, map[string]string{
		"b.yaml": "name: hook-b\non:\n  webhook: { path: same }\nsteps:\n  - id: a\n    uses: transform\n",
	})
	res = runCLI(t, vars, "apply", clash)
	if res.code != 1 || !strings.Contains(res.stderr, "b.yaml: server answered 409") || !strings.Contains(res.stderr, "hook-a") {
		t.Errorf("conflict: %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// Wrong token and unreachable server: what, where, how to fix.
	res = runCLI(t, map[string]string{"WEFT_SERVER": srv.URL, "WEFT_TOKEN": "wrong"}, "apply", dir)
	if res.code != 1 || !strings.Contains(res.stderr, "401") || !strings.Contains(res.stderr, "--token") {
		t.Errorf("wrong token: %d %s", res.code, res.stderr)
	}
	res = runCLI(t, map[string]string{"WEFT_SERVER": "http://127.0.0.1:1", "WEFT_TOKEN": "x"}, "apply", dir)
	if res.code != 1 || !strings.Contains(res.stderr, "cannot reach http://127.0.0.1:1: is `weft serve` running?") || !strings.Contains(res.stderr, "connection refused") {
		t.Errorf("unreachable: %d %s", res.code, res.stderr)
	}
}

func TestExecutionsCommands(t *testing.T) {
	t.Parallel()
	srv := clientServer(t)
	vars := map[string]string{"WEFT_SERVER": srv.URL, "WEFT_ADMIN_TOKEN": clientTestToken}
	dir := writeFiles(t, map[string]string{"good.yaml": goodWorkflow, "f.yaml": failWorkflow})
	if res := runCLI(t, vars, "apply", dir); res.code != 0 {
		t.Fatalf("%s%s", res.stdout, res.stderr)
	}
	c := &apiClient{base: srv.URL, token: clientTestToken, http: srv.Client()}
	var ex struct{ ID, Status string }
	if _, err := c.do(context.Background(), "POST", "/api/v1/workflows/failing/executions?wait=10s", "", nil, &ex); err != nil || ex.Status != "failed" {
		t.Fatalf("starting: %v %+v", err, ex)
	}

	res := runCLI(t, vars, "executions", "list", "--status", "failed")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if res.code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], ex.ID) || !strings.Contains(lines[1], "failing") {
		t.Errorf("list: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := runCLI(t, vars, "executions", "list", "--workflow", "good"); res.code != 0 || strings.Count(res.stdout, "\n") != 1 {
		t.Errorf("list of another workflow: %s", res.stdout)
	}
	if res := runCLI(t, vars, "executions", "list", "--json"); res.code != 0 || !strings.Contains(res.stdout, `"items": [`) {
		t.Errorf("list --json: %s%s", res.stdout, res.stderr)
	}
	res = runCLI(t, vars, "executions", "show", ex.ID)
	if res.code != 0 || !strings.Contains(res.stdout, `"steps": [`) || !strings.Contains(res.stdout, `"step_id": "boom"`) {
		t.Errorf("show: %d %s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, vars, "executions", "retry", ex.ID)
	if res.code != 0 || !strings.Contains(res.stdout, "retrying execution "+ex.ID) {
		t.Errorf("retry: %d %s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, vars, "executions", "cancel", "no-such-id")
	if res.code != 1 || !strings.Contains(res.stderr, "404") {
		t.Errorf("cancel unknown: %d %s", res.code, res.stderr)
	}
	if res := runCLI(t, vars, "executions", "list", "--status", "done"); res.code != 1 || !strings.Contains(res.stderr, "succeeded") {
		t.Errorf("bad status: %d %s", res.code, res.stderr)
	}
	if res := runCLI(t, vars, "executions", "frob"); res.code != 1 || !strings.Contains(res.stderr, "list, show") {
		t.Errorf("unknown subcommand: %d %s", res.code, res.stderr)
	}
	if res := runCLI(t, vars, "executions", "show"); res.code != 2 {
		t.Errorf("show without id: %d", res.code)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	res := runCLI(t, nil, "version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "weft ") || !strings.Contains(res.stdout, "\ncommit ") || !strings.Contains(res.stdout, "\ngo go1.") {
		t.Errorf("version: %d %q", res.code, res.stdout)
	}
}

func TestClientFlagsHelpNamesEnv(t *testing.T) {
	t.Parallel()
	res := runCLI(t, nil, "apply", "-h")
	for _, v := range []string{"WEFT_SERVER", "WEFT_TOKEN", "WEFT_ADMIN_TOKEN", "admin.token"} {
		if !strings.Contains(res.stdout, v) {
			t.Errorf("apply -h does not mention %s:\n%s", v, res.stdout)
		}
	}
}
