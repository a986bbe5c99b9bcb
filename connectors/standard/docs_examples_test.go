package standard_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/workflow"
)

// TestDocExamplesValidate: every ```yaml block in docs/*.md and README.md
// that is a whole workflow (name: and steps: at the top level) validates
// against the standard step types, so the docs cannot drift from what
// `weft validate` accepts. A block meant as a part of a workflow says so
// with `# fragment` as its first line and is skipped.
func TestDocExamplesValidate(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "README.md"))
	checked := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range yamlBlocks(string(src)) {
			if strings.HasPrefix(b.text, "# fragment") || !isWorkflow(b.text) {
				continue
			}
			checked++
			where := fmt.Sprintf("%s:%d", filepath.Base(file), b.line)
			if _, err := workflow.Parse(where, []byte(b.text), reg); err != nil {
				t.Errorf("the example at %s (line %d of the file) does not validate; fix it or mark it `# fragment`:\n%v", where, b.line, err)
			}
		}
	}
	if checked < 9 {
		t.Fatalf("checked only %d workflow examples; the extraction is broken", checked)
	}
}

type block struct {
	text string
	line int // of the first line inside the fence
}

// yamlBlocks returns the ```yaml fenced blocks of md, and the YAML
// heredocs (<<'YAML' … YAML) of its shell blocks, as the README's tour
// writes its workflow.
func yamlBlocks(md string) []block {
	var out []block
	var cur []string
	in, end, start := false, "", 0
	for i, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```yaml":
			in, end, start, cur = true, "```", i+2, nil
		case !in && strings.HasSuffix(line, "<<'YAML'"):
			in, end, start, cur = true, "YAML", i+2, nil
		case in && (line == end || end == "```" && strings.TrimSpace(line) == end):
			in = false
			out = append(out, block{text: strings.Join(cur, "\n") + "\n", line: start})
		case in:
			cur = append(cur, line)
		}
	}
	return out
}

// isWorkflow reports whether a block has name: and steps: at the top level.
func isWorkflow(text string) bool {
	var name, steps bool
	for _, line := range strings.Split(text, "\n") {
		name = name || strings.HasPrefix(line, "name:")
		steps = steps || strings.HasPrefix(line, "steps:")
	}
	return name && steps
}
