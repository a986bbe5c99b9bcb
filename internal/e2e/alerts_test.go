package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const alertFlaky = `
name: flaky
on:
  webhook: { path: flaky, method: POST }
steps:
  - id: boom
    uses: fail
    with: { message: "downstream said no" }
`

const alertPager = `
name: pager
steps:
  - id: page
    uses: http.request
    with: { method: POST, url: "%s/page", json: "{{ trigger }}" }
`

const alertRules = `
alerts:
  - name: flaky-failing
    kind: failures
    workflow: flaky
    window: 4s
    threshold: 2
    repeat: 1500ms
    notify: pager
`

// pager records the notifications the notify workflow sends.
type pager struct {
	*httptest.Server
	mu    sync.Mutex
	notes []map[string]any
}

func newPager(t *testing.T) *pager {
	p := &pager{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var n map[string]any
		if err := json.Unmarshal(b, &n); err != nil {
			t.Errorf("notification is not JSON: %q", b)
		}
		p.mu.Lock()
		p.notes = append(p.notes, n)
		p.mu.Unlock()
	}))
	t.Cleanup(p.Close)
	return p
}

// states lists "alert:state" (repeat marked +) in order.
func (p *pager) states() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, n := range p.notes {
		s := fmt.Sprint(n["alert"], ":", n["state"])
		if n["repeat"] == true {
			s += "+"
		}
		out = append(out, s)
	}
	return out
}

func (p *pager) waitFor(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, s := range p.states() {
			if s == want {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %q notification within %s; got %v", want, within, p.states())
}

func alertSetup(t *testing.T) (wfDir, rules string, pg *pager) {
	pg = newPager(t)
	wfDir = t.TempDir()
	writeWorkflow(t, wfDir, "flaky", alertFlaky)
	writeWorkflow(t, wfDir, "pager", fmt.Sprintf(alertPager, pg.URL))
	rules = filepath.Join(t.TempDir(), "alerts.yaml")
	if err := os.WriteFile(rules, []byte(alertRules), 0o644); err != nil {
		t.Fatal(err)
	}
	return wfDir, rules, pg
}

func failTwice(t *testing.T, s *server) {
	t.Helper()
	for range 2 {
		if _, err := s.hook("flaky", `{}`); err != nil {
			t.Fatal(err)
		}
	}
}

type alertItem struct {
	Rule struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Source string `json:"source"`
	} `json:"rule"`
	Status struct {
		State string  `json:"state"`
		Value float64 `json:"value"`
	} `json:"status"`
}

func listAlerts(t *testing.T, s *server) map[string]alertItem {
	t.Helper()
	var out struct {
		Items []alertItem `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/alerts", nil, &out); err != nil || code != 200 {
		t.Fatalf("GET /api/v1/alerts: %d %v", code, err)
	}
	m := map[string]alertItem{}
	for _, it := range out.Items {
		m[it.Rule.Name] = it
	}
	return m
}

// TestAlertFiresRepeatsResolves: a workflow fails twice; the failures rule
// fires once (the notify workflow posts to the pager), repeats while it
// holds, resolves when the failures leave the window; the API and the
// metrics show the state. A rule made through the API (trigger_silent)
// fires too.
func TestAlertFiresRepeatsResolves(t *testing.T) {
	t.Parallel()
	wfDir, rules, pg := alertSetup(t)
	srv := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir, "--alerts", rules, "--alert-interval", "1s")
	if got := listAlerts(t, srv)["flaky-failing"]; got.Rule.Source != "file" {
		t.Fatalf("file rule listed as %+v", got)
	}
	failTwice(t, srv)
	pg.waitFor(t, "flaky-failing:firing", 10*time.Second)
	if a := listAlerts(t, srv)["flaky-failing"]; a.Status.State != "firing" || a.Status.Value != 2 {
		t.Errorf("API while firing: %+v", a)
	}
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `weft_alert_firing{alert="flaky-failing"} 1`) {
		t.Errorf("/metrics lacks weft_alert_firing 1 for the firing alert")
	}
	pg.waitFor(t, "flaky-failing:firing+", 10*time.Second)
	pg.waitFor(t, "flaky-failing:resolved", 15*time.Second)
	if st := pg.states(); st[0] != "flaky-failing:firing" || strings.Count(strings.Join(st, ",")+",", "flaky-failing:firing,") != 1 {
		t.Errorf("notifications %v: want one firing (then repeats)", st)
	}
	if a := listAlerts(t, srv)["flaky-failing"]; a.Status.State != "ok" {
		t.Errorf("API after resolving: %+v", a)
	}

	// A rule made through the API.
	code, err := srv.api("PUT", "/api/v1/alerts/flaky-silent", map[string]any{"kind": "trigger_silent", "workflow": "flaky", "window": "2s", "notify": "pager"}, nil)
	if err != nil || code != 200 {
		t.Fatalf("PUT alert: %d %v", code, err)
	}
	if code, _ := srv.api("PUT", "/api/v1/alerts/bad", map[string]any{"kind": "failures", "notify": "pager"}, nil); code != 422 {
		t.Errorf("PUT of a rule without workflow answered %d, want 422", code)
	}
	if code, _ := srv.api("DELETE", "/api/v1/alerts/flaky-failing", nil, nil); code != 409 {
		t.Errorf("DELETE of a file rule answered %d, want 409", code)
	}
	pg.waitFor(t, "flaky-silent:firing", 10*time.Second)
	if code, _ := srv.api("DELETE", "/api/v1/alerts/flaky-silent", nil, nil); code != 204 {
		t.Errorf("DELETE of an API rule answered %d", code)
	}
	if _, ok := listAlerts(t, srv)["flaky-silent"]; ok {
		t.Error("the deleted rule is still listed")
	}
}

// TestAlertNotifiesOnceAcrossProcesses: two processes on PostgreSQL
// evaluate the same rule; the pager gets one firing and one resolve.
func TestAlertNotifiesOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	wfDir, rules, pg := alertSetup(t)
	args := func() []string {
		return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir, "--alerts", rules, "--alert-interval", "1s"}
	}
	a := startServer(t, nil, args()...)
	b := startServer(t, nil, args()...)
	failTwice(t, a)
	pg.waitFor(t, "flaky-failing:resolved", 20*time.Second)
	time.Sleep(1500 * time.Millisecond) // room for a second process's duplicate
	var firing, resolved int
	for _, s := range pg.states() {
		switch s {
		case "flaky-failing:firing":
			firing++
		case "flaky-failing:resolved":
			resolved++
		}
	}
	if firing != 1 || resolved != 1 {
		t.Errorf("notifications %v: want exactly one firing and one resolved from two processes", pg.states())
	}
	_ = b
}
