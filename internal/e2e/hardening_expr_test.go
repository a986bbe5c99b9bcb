package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const repeatBombWorkflow = `
name: bomb
on:
  webhook: { path: bomb, method: POST }
steps:
  - id: line
    uses: transform
    with:
      line: "{{ repeat(trigger.body.s, trigger.body.n) }}"
`

const tokenBombWorkflow = `
name: token-bomb
steps:
  - id: size
    uses: transform
    with:
      n: "{{ len(repeat(repeat('x', 1000000), 1000000)) }}"
`

// stepErrors is an execution as GET /api/v1/executions/{id} shows it, with
// each step's error.
type stepErrors struct {
	Status string `json:"status"`
	Steps  []struct {
		StepID string `json:"step_id"`
		Status string `json:"status"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	} `json:"steps"`
}

// failedWithBudget waits for execution id to finish and checks that step
// failed with the memory budget error.
func failedWithBudget(t *testing.T, s *server, id, step string) {
	t.Helper()
	waitFinished(t, s, []string{id}, 30*time.Second)
	var ex stepErrors
	if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil || code != 200 {
		t.Fatalf("GET execution: %d %v", code, err)
	}
	if ex.Status != "failed" {
		t.Fatalf("execution %s is %s, want failed", id, ex.Status)
	}
	for _, st := range ex.Steps {
		if st.StepID == step {
			if st.Status != "failed" || st.Error == nil || !strings.Contains(st.Error.Message, "memory budget exceeded") {
				t.Fatalf("step %s: status %s, error %+v; want failed with memory budget exceeded", step, st.Status, st.Error)
			}
			return
		}
	}
	t.Fatalf("execution %s has no step %s: %+v", id, step, ex.Steps)
}

// TestRepeatBombFailsTheStep: a webhook caller (no token) sends a 200 kB
// string and a count of 1,000,000 to a workflow that repeats it; before the
// fix the server died with "fatal error: runtime: out of memory". Now the
// step fails with the memory budget error, the server stays up and answers
// the next request.
func TestRepeatBombFailsTheStep(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "bomb", repeatBombWorkflow)
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)

	body, _ := json.Marshal(map[string]any{"s": strings.Repeat("x", 200_000), "n": 1_000_000})
	id, err := s.hook("bomb", string(body))
	if err != nil {
		t.Fatal(err)
	}
	failedWithBudget(t, s, id, "line")

	// The same process answers: a small repeat through the same workflow
	// succeeds.
	id, err = s.hook("bomb", `{"s": "ab", "n": 3}`)
	if err != nil {
		t.Fatalf("server after the bomb: %v", err)
	}
	if ex := waitFinished(t, s, []string{id}, 30*time.Second)[id]; ex.Status != "succeeded" {
		t.Fatalf("small repeat: %s %+v", ex.Status, ex.Error)
	}
	assertAlive(t, s)
}

// TestTokenRepeatBombFailsTheStep: an API token holder applies a workflow
// whose transform repeats a 1 MB string a million times and runs it.
func TestTokenRepeatBombFailsTheStep(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, "--data", t.TempDir())
	if code, err := s.apiYAML("PUT", "/api/v1/workflows/token-bomb", tokenBombWorkflow); err != nil || code/100 != 2 {
		t.Fatalf("PUT workflow: %d %v", code, err)
	}
	var started struct {
		ID string `json:"id"`
	}
	if code, err := s.api("POST", "/api/v1/workflows/token-bomb/executions", map[string]any{}, &started); err != nil || code/100 != 2 || started.ID == "" {
		t.Fatalf("start execution: %d %v %+v", code, err, started)
	}
	failedWithBudget(t, s, started.ID, "size")
	assertAlive(t, s)
}

// assertAlive checks that the process still runs and serves the API.
func assertAlive(t *testing.T, s *server) {
	t.Helper()
	select {
	case <-s.done:
		t.Fatal("weft serve exited (its logs follow)")
	default:
	}
	if code, err := s.api("GET", "/api/v1/workflows", nil, nil); err != nil || code != http.StatusOK {
		t.Fatalf("GET /api/v1/workflows after the bomb: %d %v", code, err)
	}
}

// apiYAML sends a YAML document with the admin token.
func (s *server) apiYAML(method, path, doc string) (int, error) {
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(doc))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
