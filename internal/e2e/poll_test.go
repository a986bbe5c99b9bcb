package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// feedAPI is a fake list endpoint: GET /items?after=N returns the items
// with seq > N. Its first call after fail429 is set answers 429 with
// Retry-After. It records when it was called.
type feedAPI struct {
	*httptest.Server
	mu      sync.Mutex
	items   []map[string]any
	calls   []time.Time
	fail429 bool
}

func newFeedAPI() *feedAPI {
	f := &feedAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, time.Now())
		if f.fail429 {
			f.fail429 = false
			w.Header().Set("Retry-After", "3")
			http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
			return
		}
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		out := []map[string]any{}
		for _, it := range f.items {
			if it["seq"].(int) > after {
				out = append(out, it)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"results": out})
	}))
	return f
}

func (f *feedAPI) add(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.items = append(f.items, map[string]any{"id": id, "seq": len(f.items) + 1})
	}
}

func (f *feedAPI) callTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls...)
}

const pollE2EWorkflow = `
name: feed
on:
  poll:
    step: http.request
    with:
      url: "%s/items"
      query: { after: "{{ poll.cursor ?? 0 }}" }
    every: 1s
    items: "{{ poll.output.body.results }}"
    id: "{{ item.id }}"
    cursor: "{{ len(poll.items) > 0 ? last(poll.items).seq : poll.cursor }}"
steps:
  - id: note
    uses: transform
    with: { id: "{{ trigger.item.id }}" }
`

type pollHealth struct {
	Workflow      string `json:"workflow"`
	Status        string `json:"status"`
	ItemsSeen     int64  `json:"items_seen"`
	LastError     string `json:"last_error"`
	LastSuccessAt string `json:"last_success_at"`
	NextPollAt    string `json:"next_poll_at"`
}

// polledIDs returns how many executions each item id started.
func polledIDs(t *testing.T, s *server) map[string]int {
	t.Helper()
	var list struct {
		Items []struct {
			Trigger string          `json:"trigger"`
			Input   json.RawMessage `json:"input"`
		} `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/executions?workflow=feed&limit=500", nil, &list); err != nil || code != 200 {
		t.Fatalf("listing executions: %d %v", code, err)
	}
	ids := map[string]int{}
	for _, ex := range list.Items {
		var in struct{ ID string }
		_ = json.Unmarshal(ex.Input, &in)
		if ex.Trigger != "poll" {
			t.Fatalf("execution trigger = %q, want poll", ex.Trigger)
		}
		ids[in.ID]++
	}
	return ids
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPollTriggerTwoProcessesOnPostgres: two weft serve processes poll one
// feed through http.request; every item starts exactly one execution, the
// feed is polled at most once per interval across both, a 429 pauses the
// trigger until Retry-After and it resumes by itself, and GET
// /api/v1/triggers shows the liveness.
func TestPollTriggerTwoProcessesOnPostgres(t *testing.T) {
	t.Parallel()
	db := pgSchemaURL(t)
	feed := newFeedAPI()
	defer feed.Close()
	feed.add("a", "b", "c")
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "feed", fmt.Sprintf(pollE2EWorkflow, feed.URL))
	args := func() []string { return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir} }
	a := startServer(t, nil, args()...)
	b := startServer(t, nil, args()...)

	eventually(t, 20*time.Second, "a, b and c", func() bool { return len(polledIDs(t, a)) == 3 })
	feed.add("d", "e")
	time.Sleep(300 * time.Millisecond)
	feed.add("f")
	eventually(t, 20*time.Second, "d, e and f", func() bool { return len(polledIDs(t, b)) == 6 })
	for id, n := range polledIDs(t, a) {
		if n != 1 {
			t.Fatalf("item %s started %d executions", id, n)
		}
	}
	calls := feed.callTimes()
	for i := 1; i < len(calls); i++ {
		// One poll per 1s interval across both processes (a little slack
		// for the 1s tick of each process).
		if gap := calls[i].Sub(calls[i-1]); gap < 900*time.Millisecond {
			t.Fatalf("polls %d and %d only %s apart: two processes polled in one interval", i-1, i, gap)
		}
	}

	feed.mu.Lock()
	feed.fail429 = true
	feed.mu.Unlock()
	var health struct {
		Polls     []pollHealth `json:"polls"`
		Unhealthy int          `json:"unhealthy"`
	}
	eventually(t, 10*time.Second, "the paused trigger", func() bool {
		_, _ = a.api("GET", "/api/v1/triggers", nil, &health)
		return len(health.Polls) == 1 && health.Polls[0].Status == "paused"
	})
	paused := len(feed.callTimes())
	feed.add("g")
	time.Sleep(1500 * time.Millisecond)
	if n := len(feed.callTimes()); n != paused {
		t.Fatalf("%d polls while paused by Retry-After: 3", n-paused)
	}
	eventually(t, 15*time.Second, "g after the pause", func() bool { return polledIDs(t, b)["g"] == 1 })
	eventually(t, 5*time.Second, "healthy again", func() bool {
		_, _ = b.api("GET", "/api/v1/triggers", nil, &health)
		return len(health.Polls) == 1 && health.Polls[0].Status == "ok" && health.Polls[0].ItemsSeen == 7
	})
	if len(polledIDs(t, a)) != 7 {
		t.Fatalf("executions: %v", polledIDs(t, a))
	}
	var metrics strings.Builder
	for _, s := range []*server{a, b} {
		resp, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics.Write(body)
	}
	for _, want := range []string{`weft_poll_runs_total{result="ok",workflow="feed"}`, `weft_poll_runs_total{result="paused",workflow="feed"}`, `weft_poll_items_total{outcome="started",workflow="feed"}`} {
		if !strings.Contains(metrics.String(), want) {
			t.Fatalf("/metrics of both processes lack %s", want)
		}
	}
}

// TestPollTriggerHostileFeed: a feed answering a million items (about
// 20 MB) fails each poll with a clear error through weft serve; nothing
// starts, the trigger shows as unhealthy, the process stays up, and a
// sane answer afterwards is polled normally.
func TestPollTriggerHostileFeed(t *testing.T) {
	t.Parallel()
	var hostile atomic.Bool
	hostile.Store(true)
	huge := func() []byte {
		var b strings.Builder
		b.WriteString(`{"results":[`)
		for i := range 1_000_000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%d"}`, i)
		}
		b.WriteString(`]}`)
		return []byte(b.String())
	}()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if hostile.Load() {
			_, _ = w.Write(huge)
			return
		}
		_, _ = io.WriteString(w, `{"results":[{"id":"ok-1","seq":1}]}`)
	}))
	defer fake.Close()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "feed", fmt.Sprintf(pollE2EWorkflow, fake.URL))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)
	var health struct {
		Polls     []pollHealth `json:"polls"`
		Unhealthy int          `json:"unhealthy"`
	}
	eventually(t, 20*time.Second, "the refused poll", func() bool {
		_, _ = s.api("GET", "/api/v1/triggers", nil, &health)
		return len(health.Polls) == 1 && health.Polls[0].Status == "error"
	})
	if !strings.Contains(health.Polls[0].LastError, "max_response_bytes") || health.Unhealthy != 1 {
		t.Fatalf("health = %+v", health)
	}
	if n := len(polledIDs(t, s)); n != 0 {
		t.Fatalf("%d executions from a refused poll", n)
	}
	hostile.Store(false)
	eventually(t, 20*time.Second, "the sane poll", func() bool { return polledIDs(t, s)["ok-1"] == 1 })
}

// TestPollStateGoesWithTheWorkflow: deleting a workflow through the API of
// a real `weft serve` drops its polling trigger's stored state (cursor,
// seen ids, claim), so a later workflow of that name starts afresh and the
// table does not keep rows of workflows that no longer exist.
func TestPollStateGoesWithTheWorkflow(t *testing.T) {
	t.Parallel()
	feed := newFeedAPI()
	defer feed.Close()
	feed.add("a")
	data := t.TempDir()
	s := startServer(t, nil, "--data", data, "--allow-private-net", "127.0.0.0/8")
	if code, err := s.apiYAML("PUT", "/api/v1/workflows/feed", fmt.Sprintf(pollE2EWorkflow, feed.URL)); err != nil || code/100 != 2 {
		t.Fatalf("PUT workflow: %d %v", code, err)
	}
	eventually(t, 20*time.Second, "the first poll", func() bool { return polledIDs(t, s)["a"] == 1 })
	rows := func() int {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "weft.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM poll_states WHERE workflow = 'feed'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(); n != 1 {
		t.Fatalf("%d poll state rows while the workflow exists, want 1", n)
	}
	if code, err := s.api("DELETE", "/api/v1/workflows/feed", nil, nil); err != nil || code/100 != 2 {
		t.Fatalf("DELETE workflow: %d %v", code, err)
	}
	// The poller forgets the trigger at its next refresh (5s); a poll on its
	// way meanwhile must not leave the row behind.
	eventually(t, 20*time.Second, "the poll state row to go", func() bool { return rows() == 0 })
	var health struct {
		Polls []pollHealth `json:"polls"`
	}
	eventually(t, 20*time.Second, "the trigger to leave the health list", func() bool {
		_, _ = s.api("GET", "/api/v1/triggers", nil, &health)
		return len(health.Polls) == 0
	})
	if n := rows(); n != 0 {
		t.Fatalf("%d poll state rows after the poller forgot the deleted workflow", n)
	}
}
