package workflow

import (
	"os"
	"strings"
	"testing"
)

// TestWebhookDocExamples parses every on.webhook example in
// docs/webhooks.md as a workflow, so the documentation cannot drift from
// what `weft validate` accepts.
func TestWebhookDocExamples(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := yamlExamples(string(src))
	if len(examples) < 10 {
		t.Fatalf("found %d on: examples in docs/webhooks.md; the extraction is broken", len(examples))
	}
	reg := testRegistry(t)
	for i, ex := range examples {
		doc := "name: doc-example\n" + ex + "\nsteps:\n  - { id: a, uses: transform }\n"
		if _, err := Parse("webhooks.md example", []byte(doc), reg); err != nil {
			t.Errorf("example %d:\n%s\n%v", i+1, ex, err)
		}
	}
}

// yamlExamples returns each `on:` document of the ```yaml blocks in md; a
// block may hold several, one per line starting with `on:`.
func yamlExamples(md string) []string {
	var out []string
	var cur []string
	in := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
		}
		cur = nil
	}
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(line, "```yaml"):
			in = true
		case in && strings.HasPrefix(line, "```"):
			in = false
			flush()
		case in && strings.HasPrefix(line, "on:"):
			flush()
			cur = append(cur, line)
		case in && len(cur) > 0:
			cur = append(cur, line)
		}
	}
	return out
}
