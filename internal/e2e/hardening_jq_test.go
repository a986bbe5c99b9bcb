package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// jqBombWorkflow builds a string from webhook data: the body's string
// repeated body.n times, or doubled forty times.
const jqBombWorkflow = `
name: jq-bomb
on:
  webhook: { path: jq-bomb, method: POST }
steps:
  - id: build
    uses: jq
    with:
      input: "{{ trigger.body }}"
      program: 'if .mode == "double" then reduce range(40) as $i (.s; . + .) else .s * .n end | length'
`

// TestJQBombFailsTheStep: a webhook caller (no token) sends a 200 kB string
// and a count of 10,000 to a workflow whose jq step repeats it (2 GB),
// then a body that makes the program double the string forty times. Before
// the fix gojq built the strings until the process ran out of memory or the
// step's timeout; now each run fails the step at once with the jq budget
// error and the same server answers the next request.
func TestJQBombFailsTheStep(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "jq-bomb", jqBombWorkflow)
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)

	big := strings.Repeat("x", 200_000)
	for _, body := range []map[string]any{
		{"s": big, "n": 10_000}, // 2 GB: just under gojq's own cap of 2^31 bytes
		{"s": big, "mode": "double"},
	} {
		raw, _ := json.Marshal(body)
		id, err := s.hook("jq-bomb", string(raw))
		if err != nil {
			t.Fatal(err)
		}
		failedWithBudget(t, s, id, "build")
		var ex stepErrors
		if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil || code != 200 {
			t.Fatalf("GET execution: %d %v", code, err)
		}
		for _, st := range ex.Steps {
			if st.StepID == "build" && !strings.HasPrefix(st.Error.Message, "jq: memory budget exceeded: ") {
				t.Fatalf("step error %q, want the jq budget error", st.Error.Message)
			}
		}
	}

	// The same process answers, and the same program on small data works.
	id, err := s.hook("jq-bomb", `{"s": "ab", "n": 3}`)
	if err != nil {
		t.Fatalf("server after the bomb: %v", err)
	}
	if ex := waitFinished(t, s, []string{id}, 30*time.Second)[id]; ex.Status != "succeeded" {
		t.Fatalf("small repeat: %s %+v", ex.Status, ex.Error)
	}
	assertAlive(t, s)
}
