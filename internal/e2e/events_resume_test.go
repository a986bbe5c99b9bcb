package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startEventServer starts a weft serve (SQLite) with the given workflows.
func startEventServer(t *testing.T, env []string, workflows map[string]string) *server {
	t.Helper()
	wfDir := t.TempDir()
	for name, doc := range workflows {
		writeWorkflow(t, wfDir, name, doc)
	}
	return startServer(t, env, "--db", t.TempDir()+"/weft.db", "--data", t.TempDir(), "--workflows", wfDir)
}

// itemWaiting polls until n items of a for_each step wait and returns the
// execution.
func itemsWaiting(t *testing.T, s *server, id, stepID string, n int) execDetail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var ex execDetail
		if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err == nil && code == 200 {
			waiting := 0
			for _, st := range ex.Steps {
				if st.StepID == stepID && st.Status == "waiting" {
					waiting++
				}
			}
			if waiting >= n {
				return ex
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("execution %s never had %d items of %q waiting", id, n, stepID)
	return execDetail{}
}

// TestResumeURLsPerForEachItem: a resume wait inside for_each hands out one
// URL per item through a real weft serve; each URL resumes its own item
// once (409 the second time), and the execution ends with every item's
// own payload.
func TestResumeURLsPerForEachItem(t *testing.T) {
	t.Parallel()
	s := startEventServer(t, nil, map[string]string{"fan": `
name: fan
on:
  webhook: { path: fan, method: POST }
steps:
  - id: send
    uses: transform
    with: { urls: "{{ execution.resume_urls.cb }}" }
  - id: cb
    uses: wait
    for_each: "{{ trigger.body.items }}"
    with: { resume: true, timeout: 10m }
`})
	id, err := s.hook("fan", `{"items":["a","b","c"]}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := itemsWaiting(t, s, id, "cb", 3)
	var urls []string
	for _, st := range ex.Steps {
		if st.StepID == "send" {
			list, _ := st.Output["urls"].([]any)
			for _, u := range list {
				urls = append(urls, fmt.Sprint(u))
			}
		}
	}
	if len(urls) != 3 || urls[0] == urls[1] || urls[1] == urls[2] || urls[0] == urls[2] {
		t.Fatalf("resume_urls.cb = %v, want three distinct URLs", urls)
	}
	for _, i := range []int{1, 2, 0} {
		path := strings.TrimPrefix(urls[i], s.url)
		if code, body, err := postJSON(s.url+path, fmt.Sprintf(`{"n":%d}`, i)); err != nil || code != http.StatusAccepted ||
			!strings.Contains(body, fmt.Sprintf(`"item":%d`, i)) {
			t.Fatalf("resume item %d: %d %s %v", i, code, body, err)
		}
		if code, body, _ := postJSON(s.url+path, `{"n":99}`); code != http.StatusConflict {
			t.Fatalf("second call of item %d's URL: %d %s, want 409", i, code, body)
		}
	}
	done := waitFinished(t, s, []string{id}, 30*time.Second)
	if done[id].Status != "succeeded" {
		t.Fatalf("execution %s: %s %+v", id, done[id].Status, done[id].Error)
	}
	var out struct {
		Output []map[string]any `json:"output"`
	}
	if _, err := s.api("GET", "/api/v1/executions/"+id, nil, &out); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out.Output) != "[map[n:0] map[n:1] map[n:2]]" {
		t.Fatalf("output = %v, want each item's own payload", out.Output)
	}
}

// A resume URL called again once its call ended the execution is "used"
// (409), as it is while the execution runs; the answer must not depend on
// how fast the execution finished between the two calls (the API's
// resume handler once answered 410 here, before the call reached the check).
func TestResumeURLCalledAgainAfterTheEndUnderServe(t *testing.T) {
	t.Parallel()
	s := startEventServer(t, nil, map[string]string{"once": `
name: once
on:
  webhook: { path: once, method: POST }
steps:
  - id: send
    uses: transform
    with: { url: "{{ execution.resume_url }}" }
  - id: cb
    uses: wait
    with: { resume: true, timeout: 10m }
`})
	id, err := s.hook("once", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := itemsWaiting(t, s, id, "cb", 1)
	var url string
	for _, st := range ex.Steps {
		if st.StepID == "send" {
			url = fmt.Sprint(st.Output["url"])
		}
	}
	if !strings.HasPrefix(url, s.url) {
		t.Fatalf("resume_url = %q", url)
	}
	if code, body, err := postJSON(url, `{"n":1}`); err != nil || code != http.StatusAccepted {
		t.Fatalf("first call: %d %s %v", code, body, err)
	}
	if done := waitFinished(t, s, []string{id}, 30*time.Second); done[id].Status != "succeeded" {
		t.Fatalf("execution %s: %s", id, done[id].Status)
	}
	if code, body, _ := postJSON(url, `{"n":2}`); code != http.StatusConflict || !strings.Contains(body, `"already_used"`) {
		t.Fatalf("second call after the end: %d %s, want 409 (used)", code, body)
	}
}
