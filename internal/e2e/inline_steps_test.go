package e2e

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// inlineFailWorkflow runs pure steps only, so an execution finishes inside
// its request and is written once, step runs in its row; check fails on a
// body without amount.
const inlineFailWorkflow = `name: inline-fail
on:
  webhook: { path: inline-fail, method: POST, respond: sync }
steps:
  - id: compute
    uses: transform
    with: { customer: "{{ trigger.body.customer }}" }
  - id: check
    uses: transform
    with: { doubled: "{{ trigger.body.amount * 2 }}" }
    needs: [compute]
  - id: reply
    uses: respond
    with: { status: 200, body: "{{ steps.check.output }}" }
`

type stepView struct {
	StepID    string                 `json:"step_id"`
	Status    string                 `json:"status"`
	Attempts  int                    `json:"attempts"`
	Output    map[string]any         `json:"output"`
	StartedAt time.Time              `json:"started_at"`
	Error     *struct{ Code string } `json:"error"`
}

type executionSteps struct {
	ID      string     `json:"id"`
	Status  string     `json:"status"`
	Steps   []stepView `json:"steps"`
	Retries []struct {
		Steps []struct {
			StepID string `json:"step_id"`
			Status string `json:"status"`
		} `json:"steps"`
	} `json:"retries"`
}

// TestExecutionInlineStepsRetryUnderServe: an execution that failed inside
// its request keeps its step runs in its row and shows them like any other;
// a retry moves them into step_runs, keeps the step that succeeded (same
// output, not run again) and runs the failed one again.
func TestExecutionInlineStepsRetryUnderServe(t *testing.T) {
	t.Parallel()
	wfDir, data := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, "inline-fail", inlineFailWorkflow)
	s := startServer(t, nil, "--data", data, "--workflows", wfDir)

	resp, err := http.Post(s.url+"/hooks/inline-fail", "application/json", strings.NewReader(`{"customer":"c1"}`))
	if err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-Weft-Execution-Id")
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("answer %d, want 500", resp.StatusCode)
	}
	if id == "" {
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		if code, err := s.api("GET", "/api/v1/executions?workflow=inline-fail", nil, &list); err != nil || code != 200 || len(list.Items) != 1 {
			t.Fatalf("listing executions: %d %v %+v", code, err, list)
		}
		id = list.Items[0].ID
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "weft.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	layout := func() (inline bool, rows int) {
		t.Helper()
		if err := db.QueryRow("SELECT steps IS NOT NULL FROM executions WHERE id = ?", id).Scan(&inline); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT count(*) FROM step_runs WHERE execution_id = ?", id).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		return inline, rows
	}
	if inline, rows := layout(); !inline || rows != 0 {
		t.Fatalf("failed inline: steps kept in the row %v, %d step_runs rows; want the row only", inline, rows)
	}

	var first executionSteps
	if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &first); err != nil || code != 200 {
		t.Fatalf("reading %s: %d %v", id, code, err)
	}
	byStep := func(ex executionSteps) map[string]stepView {
		out := map[string]stepView{}
		for _, r := range ex.Steps {
			out[r.StepID] = r
		}
		return out
	}
	f := byStep(first)
	if first.Status != "failed" || f["compute"].Status != "succeeded" || f["compute"].Output["customer"] != "c1" ||
		f["check"].Status != "failed" || f["check"].Error == nil || f["reply"].Status == "succeeded" {
		t.Fatalf("first run: %+v", first)
	}

	if code, err := s.api("POST", "/api/v1/executions/"+id+"/retry", nil, nil); err != nil || code != 200 {
		t.Fatalf("retry: %d %v", code, err)
	}
	waitFinished(t, s, []string{id}, 30*time.Second)
	var again executionSteps
	if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &again); err != nil || code != 200 {
		t.Fatalf("reading %s: %d %v", id, code, err)
	}
	a := byStep(again)
	if again.Status != "failed" || a["check"].Status != "failed" || !a["check"].StartedAt.After(f["check"].StartedAt) {
		t.Fatalf("the retry did not run check again: %+v", again)
	}
	if c := a["compute"]; c.Status != "succeeded" || c.Output["customer"] != "c1" || !c.StartedAt.Equal(f["compute"].StartedAt) || c.Attempts != f["compute"].Attempts {
		t.Fatalf("the retry lost or re-ran the step that succeeded: %+v, was %+v", c, f["compute"])
	}
	if len(again.Retries) != 1 || len(again.Retries[0].Steps) == 0 || again.Retries[0].Steps[0].StepID != "check" {
		t.Fatalf("the first run's failed step is not kept as a prior run: %+v", again.Retries)
	}
	if inline, rows := layout(); inline || rows < 2 {
		t.Fatalf("after the retry: steps kept in the row %v, %d step_runs rows; want rows only", inline, rows)
	}
}
