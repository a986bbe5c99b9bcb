package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const eventWorkflows = `
name: order
on:
  webhook: { path: order, method: POST }
steps:
  - id: paid
    uses: wait
    with:
      event: payment.settled
      key: "{{ trigger.body.order }}"
      match: "{{ event.amount >= trigger.body.total }}"
      timeout: 10m
  - id: ship
    uses: http.request
    with: { method: POST, url: "%[1]s/ship", json: { amount: "{{ steps.paid.output.amount }}" } }
`

const jobWorkflow = `
name: job
on:
  webhook: { path: job, method: POST }
steps:
  - id: submit
    uses: transform
    with: { callback: "{{ execution.resume_url }}" }
  - id: callback
    uses: wait
    with: { resume: true, timeout: 10m }
  - id: hold
    uses: wait
    with: { event: job.release, key: "{{ trigger.body.job }}", timeout: 10m }
  - id: use
    uses: http.request
    with: { method: POST, url: "%[1]s/use", json: "{{ steps.callback.output }}" }
`

type execDetail struct {
	Status string `json:"status"`
	Steps  []struct {
		StepID string         `json:"step_id"`
		Status string         `json:"status"`
		Output map[string]any `json:"output"`
	} `json:"steps"`
}

// waitingAt polls until the execution's step waits.
func waitingAt(t *testing.T, s *server, id, stepID string) execDetail {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var ex execDetail
		if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err == nil && code == 200 {
			for _, st := range ex.Steps {
				if st.StepID == stepID && st.Status == "waiting" && ex.Status == "waiting" {
					return ex
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("execution %s never parked at step %q", id, stepID)
	return execDetail{}
}

func postJSON(url, body string) (int, string, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

// TestEventsAcrossTwoPostgresProcesses: executions park in process A at a
// wait for a correlated event or a resume URL; A is killed (kill -9);
// events posted to process B, and resume calls to a fresh process and B at
// once, wake each execution exactly once with the right payload; a second
// resume call is refused with 409. A job holds at a wait after its
// callback until both calls were answered: the loser of the race is refused
// as used (409), not as finished (410), however fast the winner's process
// runs the rest of the execution.
func TestEventsAcrossTwoPostgresProcesses(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	fx := newEffects(0)
	defer fx.Close()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "order", fmt.Sprintf(eventWorkflows, fx.URL))
	writeWorkflow(t, wfDir, "job", fmt.Sprintf(jobWorkflow, fx.URL))
	args := func() []string {
		return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir, "--lease", "2s"}
	}
	a := startServer(t, nil, args()...)
	b := startServer(t, nil, args()...)

	const orders, jobs = 6, 2
	var orderIDs, jobIDs []string
	for i := range orders {
		id, err := a.hook("order", fmt.Sprintf(`{"order":"o%d","total":10}`, i))
		if err != nil {
			t.Fatal(err)
		}
		orderIDs = append(orderIDs, id)
	}
	var resumeURLs []string
	for i := range jobs {
		id, err := a.hook("job", fmt.Sprintf(`{"job":"j%d"}`, i))
		if err != nil {
			t.Fatal(err)
		}
		jobIDs = append(jobIDs, id)
	}
	for _, id := range orderIDs {
		waitingAt(t, a, id, "paid")
	}
	for _, id := range jobIDs {
		ex := waitingAt(t, a, id, "callback")
		for _, st := range ex.Steps {
			if st.StepID == "submit" {
				u, _ := st.Output["callback"].(string)
				resumeURLs = append(resumeURLs, u)
			}
		}
	}
	killedAt := time.Now()
	a.kill()

	// Events go to B. An event of the right key that match refuses first
	// wakes nobody for good; the matching one does.
	for i := range orders {
		for _, amount := range []int{1, 50 + i} {
			code, body, err := b.apiRaw("POST", "/api/v1/events", fmt.Sprintf(`{"name":"payment.settled","key":"o%d","payload":{"amount":%d}}`, i, amount))
			if err != nil || code != http.StatusAccepted {
				t.Fatalf("POST /api/v1/events: %d %s %v", code, body, err)
			}
		}
	}

	// Resume calls to a new process and to B at the same moment: one wins.
	c := startServer(t, nil, args()...)
	for i, u := range resumeURLs {
		if !strings.HasPrefix(u, a.url+"/hooks/resume/") {
			t.Fatalf("resume_url = %q, want it on %s", u, a.url)
		}
		path := strings.TrimPrefix(u, a.url)
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for k, s := range []*server{c, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body, err := postJSON(s.url+path, fmt.Sprintf(`{"result":"job-%d","from":%d}`, i, k))
				if err != nil {
					t.Error(err)
				}
				if code == http.StatusConflict && !strings.Contains(body, "already used") {
					t.Errorf("409 without a clear message: %s", body)
				}
				codes[k] = code
			}()
		}
		wg.Wait()
		if !(codes[0] == 202 && codes[1] == 409) && !(codes[0] == 409 && codes[1] == 202) {
			t.Fatalf("two resume calls answered %v, want one 202 and one 409", codes)
		}
		code, body, err := b.apiRaw("POST", "/api/v1/events", fmt.Sprintf(`{"name":"job.release","key":"j%d","payload":{}}`, i))
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("POST /api/v1/events: %d %s %v", code, body, err)
		}
	}
	if code, _, _ := postJSON(b.url+"/hooks/resume/"+jobIDs[0]+".callback.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", `{}`); code != http.StatusNotFound {
		t.Fatalf("a forged resume token answered %d, want 404", code)
	}

	done := waitFinished(t, b, append(append([]string(nil), orderIDs...), jobIDs...), 60*time.Second)
	for id, ex := range done {
		if ex.Status != "succeeded" {
			t.Errorf("execution %s: %s %+v", id, ex.Status, ex.Error)
		}
	}
	checkOnce(t, fx, orderIDs, []string{"ship"}, []time.Time{killedAt}, 300*time.Millisecond)
	checkOnce(t, fx, jobIDs, []string{"use"}, []time.Time{killedAt}, 300*time.Millisecond)
	for i, id := range orderIDs {
		var ex execDetail
		if _, err := b.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil {
			t.Fatal(err)
		}
		for _, st := range ex.Steps {
			if st.StepID == "paid" && st.Output["amount"] != float64(50+i) {
				t.Errorf("order o%d took %v, want the matching event (amount %d)", i, st.Output, 50+i)
			}
		}
	}
	if code, _, _ := postJSON(b.url+strings.TrimPrefix(resumeURLs[0], a.url), `{}`); code != http.StatusGone && code != http.StatusConflict {
		t.Fatalf("resume after the end answered %d, want 409 or 410", code)
	}
}

// apiRaw sends a raw JSON body with the API token.
func (s *server) apiRaw(method, path, body string) (int, string, error) {
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}
