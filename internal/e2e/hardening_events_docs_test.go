package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAIJobs speaks the job API of docs/events.md: POST /jobs answers a
// job id and, given a callback_url, POSTs the result there a moment later;
// GET /jobs/{id} answers running, then done on the second poll.
type fakeAIJobs struct {
	*httptest.Server
	mu        sync.Mutex
	prompts   map[string]string
	polls     map[string]int
	callbacks []int // statuses the callback got
	n         int
}

func newFakeAIJobs(t *testing.T) *fakeAIJobs {
	f := &fakeAIJobs{prompts: map[string]string{}, polls: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/jobs":
			var in struct {
				Prompt      string `json:"prompt"`
				CallbackURL string `json:"callback_url"`
			}
			_ = json.NewDecoder(r.Body).Decode(&in)
			f.mu.Lock()
			f.n++
			id := fmt.Sprintf("job-%d", f.n)
			f.prompts[id] = in.Prompt
			f.mu.Unlock()
			if in.CallbackURL != "" {
				go func() {
					time.Sleep(200 * time.Millisecond)
					body := fmt.Sprintf(`{"id":%q,"status":"done","result":%q}`, id, "summary of "+in.Prompt)
					resp, err := http.Post(in.CallbackURL, "application/json", strings.NewReader(body))
					code := 0
					if err == nil {
						code = resp.StatusCode
						resp.Body.Close()
					} else {
						t.Errorf("callback: %v", err)
					}
					f.mu.Lock()
					f.callbacks = append(f.callbacks, code)
					f.mu.Unlock()
				}()
			}
			fmt.Fprintf(w, `{"id":%q,"status":"running"}`, id)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/jobs/"):
			id := strings.TrimPrefix(r.URL.Path, "/jobs/")
			f.mu.Lock()
			f.polls[id]++
			p, prompt := f.polls[id], f.prompts[id]
			f.mu.Unlock()
			if p < 2 {
				fmt.Fprintf(w, `{"id":%q,"status":"running"}`, id)
				return
			}
			fmt.Fprintf(w, `{"id":%q,"status":"done","result":%q}`, id, "summary of "+prompt)
		default:
			http.NotFound(w, r)
		}
	}))
	return f
}

// workflowBlocks returns the ```yaml blocks of a markdown file that are
// whole workflows (they have a top-level name).
func workflowBlocks(t *testing.T, path string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	name := regexp.MustCompile(`(?m)^name: ([a-z0-9-]+)$`)
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(src), -1) {
		if n := name.FindStringSubmatch(m[1]); n != nil {
			if _, dup := out[n[1]]; dup {
				t.Fatalf("%s: two workflows named %q", path, n[1])
			}
			out[n[1]] = m[1]
		}
	}
	return out
}

func putWorkflow(s *server, name, yaml string) (int, string, error) {
	req, _ := http.NewRequest("PUT", s.url+"/api/v1/workflows/"+name, strings.NewReader(yaml))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

// TestDocsEventsAIJob: every workflow in docs/events.md validates on a real
// weft serve, and the async AI-job example runs in both variants (callback
// and poll) against a fake job API.
func TestDocsEventsAIJob(t *testing.T) {
	t.Parallel()
	ai := newFakeAIJobs(t)
	defer ai.Close()
	s := startServer(t, []string{"AI_JOBS_URL=" + ai.URL,
		"WEFT_ENV_ALLOW=AI_JOBS_URL,TRANSCODER_URL,SLACK_WEBHOOK_URL,REPORTS_URL"}, "--data", t.TempDir())
	blocks := workflowBlocks(t, "../../docs/events.md")
	for _, want := range []string{"ai-job-callback", "ai-job-poll", "ship-when-paid", "payments-in", "transcode", "refund", "wait-for-report"} {
		if _, ok := blocks[want]; !ok {
			t.Errorf("docs/events.md has no workflow %q", want)
		}
	}
	for name, yaml := range blocks {
		code, body, err := putWorkflow(s, name, yaml)
		if err != nil || (code != 200 && code != 201) {
			t.Fatalf("docs/events.md workflow %q does not validate: %d %s %v", name, code, body, err)
		}
	}
	for _, hook := range []string{"summarize", "summarize-poll"} {
		id, err := s.hook(hook, `{"text":"a long article"}`)
		if err != nil {
			t.Fatalf("%s: %v", hook, err)
		}
		waitFinished(t, s, []string{id}, 30*time.Second)
		var ex struct {
			Status string         `json:"status"`
			Output map[string]any `json:"output"`
			Error  any            `json:"error"`
		}
		if _, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil {
			t.Fatal(err)
		}
		if ex.Status != "succeeded" || ex.Output["summary"] != "summary of Summarize: a long article" || !strings.HasPrefix(fmt.Sprint(ex.Output["job"]), "job-") {
			t.Fatalf("%s: %s %v %v", hook, ex.Status, ex.Output, ex.Error)
		}
	}
	ai.mu.Lock()
	defer ai.mu.Unlock()
	if len(ai.callbacks) != 1 || ai.callbacks[0] != http.StatusAccepted {
		t.Fatalf("callbacks answered %v, want one 202", ai.callbacks)
	}
	if ai.polls["job-2"] != 2 {
		t.Fatalf("the poll variant polled %d times, want 2 (done on the 2nd)", ai.polls["job-2"])
	}
}
