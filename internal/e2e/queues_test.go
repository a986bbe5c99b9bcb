package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"
)

// Queue triggers against a real `weft serve`: a burst is consumed while the
// process is killed with SIGKILL and restarted; every message must become
// exactly one execution and none may be lost, which holds only if a message
// is acknowledged after its execution is on disk (an early ack loses it in
// the kill) and redeliveries are deduped by message id (a late ack repeats
// it).

// queueBroker is what the kill test needs of one broker.
type queueBroker interface {
	// credential is the body of PUT /api/v1/credentials/{name}.
	credential() map[string]any
	// binding is the on.queue mapping (YAML flow style).
	binding() string
	// publish sends messages n in [from, to) with message ids.
	publish(t testing.TB, from, to int)
	// pending is how many messages are still at the broker, unacknowledged
	// or not yet delivered.
	pending(t testing.TB) int
}

func randomSuffix() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

const queueWorkflow = `
name: %s
on:
  queue: %s
steps:
  - id: record
    uses: transform
    with: { n: "{{ trigger.body.n }}", id: "{{ trigger.message_id }}" }
`

type triggerList struct {
	Items []struct {
		Workflow   string           `json:"workflow"`
		Status     string           `json:"status"`
		Connected  bool             `json:"connected"`
		Reconnects int64            `json:"reconnects"`
		LastError  string           `json:"last_error"`
		Messages   map[string]int64 `json:"messages"`
	} `json:"items"`
	Unhealthy int `json:"unhealthy"`
}

func (s *server) started(name string) int64 {
	var tl triggerList
	if code, err := s.api("GET", "/api/v1/triggers", nil, &tl); err != nil || code != 200 {
		return -1
	}
	for _, it := range tl.Items {
		if it.Workflow == name {
			return it.Messages["started"]
		}
	}
	return -1
}

// executionInputs counts executions of workflow by their message n.
func executionInputs(t *testing.T, s *server, workflow string) map[int]int {
	t.Helper()
	out := map[int]int{}
	cursor := ""
	for {
		var page struct {
			Items []struct {
				Input json.RawMessage `json:"input"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		path := "/api/v1/executions?limit=500&workflow=" + workflow
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if code, err := s.api("GET", path, nil, &page); err != nil || code != 200 {
			t.Fatalf("listing executions: %d %v", code, err)
		}
		for _, it := range page.Items {
			var in struct {
				Body struct {
					N int `json:"n"`
				} `json:"body"`
			}
			if err := json.Unmarshal(it.Input, &in); err != nil {
				t.Fatalf("execution input %s: %v", it.Input, err)
			}
			out[in.Body.N]++
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// killDuringBurst publishes total messages, SIGKILLs weft serve after some
// have become executions, restarts it, and checks exactly-once.
func killDuringBurst(t *testing.T, b queueBroker, total int, extraArgs ...string) {
	t.Helper()
	name := "queue-" + randomSuffix()
	data, wfDir := t.TempDir(), t.TempDir()
	writeWorkflow(t, wfDir, name, fmt.Sprintf(queueWorkflow, name, b.binding()))
	args := append([]string{"--data", data, "--workflows", wfDir}, extraArgs...)
	srv := startServer(t, nil, args...)
	putCredential(t, srv, "broker", b.credential())
	b.publish(t, 0, total)
	deadline := time.Now().Add(60 * time.Second)
	var before int64
	for before = srv.started(name); before < int64(total/5); before = srv.started(name) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages consumed in 60s", before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.kill()
	t.Logf("killed after %d of %d messages became executions", before, total)

	srv = startServer(t, nil, args...)
	deadline = time.Now().Add(120 * time.Second)
	for {
		got := executionInputs(t, srv, name)
		if len(got) == total && b.pending(t) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %d distinct messages of %d became executions, %d pending at the broker", len(got), total, b.pending(t))
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(time.Second) // let any stray redelivery show up
	got := executionInputs(t, srv, name)
	for n := 0; n < total; n++ {
		if got[n] != 1 {
			t.Errorf("message %d became %d executions, want 1", n, got[n])
		}
	}
	var tl triggerList
	if code, err := srv.api("GET", "/api/v1/triggers", nil, &tl); err != nil || code != 200 || len(tl.Items) != 1 || tl.Items[0].Status != "ok" || tl.Unhealthy != 0 {
		t.Errorf("triggers after restart: %d %v %+v", code, err, tl)
	}
}

func envOrSkip(t testing.TB, name, example string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set (like %s)", name, example)
	}
	return v
}

func ctxFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// twoProcessesKillOne runs two weft serve processes on one PostgreSQL
// database consuming the same binding (competing consumers), kills one
// mid-burst and checks that each message became exactly one execution.
func twoProcessesKillOne(t *testing.T, b queueBroker, total int) {
	t.Helper()
	db := pgSchemaURL(t)
	name := "queue-" + randomSuffix()
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, name, fmt.Sprintf(queueWorkflow, name, b.binding()))
	args := func() []string {
		return []string{"--db", db, "--data", t.TempDir(), "--workflows", wfDir, "--lease", "2s"}
	}
	a := startServer(t, nil, args()...)
	putCredential(t, a, "broker", b.credential())
	other := startServer(t, nil, args()...)
	b.publish(t, 0, total)
	deadline := time.Now().Add(60 * time.Second)
	for a.started(name)+other.started(name) < int64(total/5) {
		if time.Now().After(deadline) {
			t.Fatal("the burst was not consumed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	shareA, shareB := a.started(name), other.started(name)
	a.kill()
	t.Logf("killed one process; so far %d and %d executions by each", shareA, shareB)
	deadline = time.Now().Add(120 * time.Second)
	for {
		got := executionInputs(t, other, name)
		if len(got) == total && b.pending(t) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d distinct messages of %d became executions, %d pending", len(got), total, b.pending(t))
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(time.Second)
	got := executionInputs(t, other, name)
	for n := 0; n < total; n++ {
		if got[n] != 1 {
			t.Errorf("message %d became %d executions, want 1", n, got[n])
		}
	}
}
