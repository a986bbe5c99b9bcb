package standard_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

var update = flag.Bool("update", false, "rewrite docs/steps from the step specs")

// docsDir is docs/steps relative to this package.
var docsDir = filepath.Join("..", "..", "docs", "steps")

func newRegistry(t *testing.T) *step.Registry {
	t.Helper()
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRegister(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	steptest.CheckRegistry(t, reg)
	want := []string{"ai.agent", "ai.chat", "ai.classify", "ai.embed", "ai.extract", "approval", "event.emit", "fail", "graphql.query", "http.request", "jq", "mcp.call", "queue.publish", "respond", "soap.call", "sql.exec", "sql.query", "transform", "wait", "webhook.send", "workflow.call"}
	var got []string
	apps := 0
	for _, s := range reg.Specs() {
		if s.Category == step.CategoryApps {
			apps++ // the bundled app connectors; connectors/apps tests them
			continue
		}
		got = append(got, s.Type)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("types = %v, want %v", got, want)
	}
	if _, ok := reg.Lookup("slack.post_message"); !ok || apps < 50 {
		t.Fatalf("the bundled app connectors are not registered (%d app step types)", apps)
	}
	if err := standard.Register(reg); err == nil {
		t.Fatal("second Register succeeded, want a duplicate error")
	}
}

func TestGenerateDocs(t *testing.T) {
	t.Parallel()
	files := standard.GenerateDocs(newRegistry(t))
	page := string(files["http.request.md"])
	for _, want := range []string{
		"# `http.request` — HTTP request",
		"| `method` | string |  | `GET` | `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` |  | HTTP method. |",
		"| `url` | string | yes |",
		"| `accept_status` | array of any |  | `[\"2xx\"]` |",
		"## Output",
		"```yaml\n- id: charge\n  uses: http.request\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("http.request.md lacks %q", want)
		}
	}
	if !strings.Contains(string(files["transform.md"]), "every key under `with:` is allowed") {
		t.Errorf("transform.md does not say that any key is allowed")
	}
	index := string(files[standard.IndexFile])
	for _, want := range []string{"## core", "## http", "| [`wait`](wait.md) | Wait |"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	if strings.Index(index, "## core") > strings.Index(index, "## http") {
		t.Errorf("index categories out of order")
	}
}

// TestDocsUpToDate is the golden test: the committed docs/steps must equal
// what the specs generate.
func TestDocsUpToDate(t *testing.T) {
	t.Parallel()
	files := standard.GenerateDocs(newRegistry(t))
	if *update {
		writeDocs(t, files)
	}
	const fix = "run go test ./connectors/standard -update"
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(docsDir, name))
		if err != nil {
			t.Errorf("docs/steps/%s is missing: %s", name, fix)
			continue
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("docs/steps/%s is stale: %s", name, fix)
		}
	}
	onDisk, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range onDisk {
		if _, ok := files[filepath.Base(path)]; !ok {
			t.Errorf("docs/steps/%s documents no registered step type: %s", filepath.Base(path), fix)
		}
	}
}

func writeDocs(t *testing.T, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(docsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range old {
		if _, ok := files[filepath.Base(path)]; !ok {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(docsDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
