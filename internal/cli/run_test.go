package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunHasServesGuardAndFlags: weft run is wired like serve, so a
// workflow calling 127.0.0.1 is refused by the SSRF guard unless
// --allow-private-net allows it, and --env-allow works as for serve.
func TestRunHasServesGuardAndFlags(t *testing.T) {
	// Expressions read env.NAME from the process environment.
	t.Setenv("WEFT_RUN_TEST_GREETING", "hello-from-env")
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"greeting":%q}`, r.URL.Query().Get("g"))
	}))
	t.Cleanup(fake.Close)
	file := filepath.Join(t.TempDir(), "local.yaml")
	doc := fmt.Sprintf(`name: local
steps:
  - id: call
    uses: http.request
    with: { url: "%s/x", query: { g: "{{ env.WEFT_RUN_TEST_GREETING }}" } }
`, fake.URL)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }}
		code := Run(context.Background(), env, append([]string{"run", file}, args...))
		return code, out.String() + errOut.String()
	}
	code, out := run("--env-allow", "WEFT_RUN_TEST_GREETING")
	if code != 1 || !strings.Contains(out, `"blocked"`) {
		t.Fatalf("without --allow-private-net: exit %d, want 1 with the step blocked:\n%s", code, out)
	}
	code, out = run("--env-allow", "WEFT_RUN_TEST_GREETING", "--allow-private-net", "127.0.0.0/8")
	if code != 0 || !strings.Contains(out, "hello-from-env") {
		t.Fatalf("with --allow-private-net and --env-allow: exit %d, want 0 and the greeting:\n%s", code, out)
	}
	if code, out = run("--allow-private-net", "not-a-cidr"); code != 1 || !strings.Contains(out, "--allow-private-net") {
		t.Fatalf("a bad CIDR: exit %d:\n%s", code, out)
	}
}
