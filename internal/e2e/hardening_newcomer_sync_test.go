package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// syncFailWorkflow answers synchronously and fails on a call the SSRF guard
// refuses: its error names an internal URL and the guard's reason.
const syncFailWorkflow = `name: sync-fail
on:
  webhook: { path: sync-fail, method: POST, respond: sync, timeout: 20s }
steps:
  - id: lookup
    uses: http.request
    with: { url: "http://127.0.0.1:9/internal/billing-admin", timeout: 2s }
    retry: { max_attempts: 1 }
  - id: answer
    uses: respond
    with: { body: "{{ steps.lookup.output.body }}" }
`

// TestSyncWebhookFailureIsGeneric: a failed respond: sync webhook answers
// its caller with a generic error and the execution id; the internal URL
// and the guard's reason stay in the execution for the operator.
func TestSyncWebhookFailureIsGeneric(t *testing.T) {
	t.Parallel()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "sync-fail", syncFailWorkflow)
	s := startServerNoPrivateNet(t, "--data", t.TempDir(), "--workflows", wfDir)

	resp, err := http.Post(s.url+"/hooks/sync-fail", "application/json", strings.NewReader(`{"order":1}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("answer %d %s, want 500", resp.StatusCode, raw)
	}
	var body struct {
		ExecutionID string `json:"execution_id"`
		Status      string `json:"status"`
		Error       struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.ExecutionID == "" || body.Error.Code != "execution_failed" {
		t.Fatalf("answer %s: want execution_id and code execution_failed (%v)", raw, err)
	}
	if !strings.Contains(body.Error.Message, body.ExecutionID) {
		t.Errorf("message %q does not give the execution id to quote", body.Error.Message)
	}
	for _, leak := range []string{"127.0.0.1", "billing-admin", "internal", "private", "blocked", "allow-private-net", "lookup"} {
		if strings.Contains(strings.ToLower(string(raw)), leak) {
			t.Errorf("the caller's answer leaks %q: %s", leak, raw)
		}
	}
	ex := finished(t, s, body.ExecutionID, 10*time.Second)
	var stepErr string
	for _, st := range ex.Steps {
		if st.StepID == "lookup" && st.Error != nil {
			stepErr = st.Error.Message
		}
	}
	if ex.Status != "failed" || !strings.Contains(stepErr, "127.0.0.1") {
		t.Errorf("the operator's execution: status %s, lookup error %q; want failed with the refused address", ex.Status, stepErr)
	}
}
