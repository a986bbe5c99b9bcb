package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const slowYAML = `name: slow
steps:
  - id: first
    uses: transform
    with: { n: 1 }
  - id: pause
    uses: wait
    with: { for: 300ms }
  - id: last
    uses: transform
    with: { n: "{{ steps.first.output.n + 1 }}" }
`

const parkedYAML = `name: parked
steps:
  - id: pause
    uses: wait
    with: { for: 1h }
`

const failingYAML = `name: failing
steps:
  - id: ok
    uses: transform
    with: { a: 1 }
  - id: boom
    uses: fail
    with: { message: "no luck" }
`

func (b *testBundle) put(t *testing.T, name, doc string) {
	t.Helper()
	if res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/" + name, body: doc}); res.status != 201 {
		t.Fatalf("PUT %s: %d %s", name, res.status, res.body)
	}
}

type execution struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Input  any    `json:"input"`
	Steps  []struct {
		ID     string          `json:"id"`
		StepID string          `json:"step_id"`
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
	} `json:"steps"`
	Error *struct{ Code, Message string } `json:"error"`
}

func decodeExecution(t *testing.T, res response) execution {
	t.Helper()
	var e execution
	if err := json.Unmarshal(res.body, &e); err != nil {
		t.Fatalf("%v: %s", err, res.body)
	}
	return e
}

func (b *testBundle) waitStatus(t *testing.T, id string, want string) execution {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e := decodeExecution(t, b.get(t, "/api/v1/executions/"+id))
		if e.Status == want {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s is %s, want %s", id, e.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "hello", helloYAML)

	res := b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions", body: `{"name":"ada"}`})
	if res.status != 202 {
		t.Fatalf("start: %d %s", res.status, res.body)
	}
	e := decodeExecution(t, res)
	if e.ID == "" || res.header.Get("Location") != "/api/v1/executions/"+e.ID {
		t.Errorf("id %q Location %q", e.ID, res.header.Get("Location"))
	}
	done := b.waitStatus(t, e.ID, "succeeded")
	if len(done.Steps) != 1 || done.Steps[0].ID != e.ID+"/greet" || !strings.Contains(string(done.Steps[0].Output), "hello ada") {
		t.Errorf("steps: %+v", done.Steps)
	}

	// Empty body: input {}.
	e = decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions"}))
	if m, ok := e.Input.(map[string]any); !ok || len(m) != 0 {
		t.Errorf("empty body gave input %v", e.Input)
	}

	_, msg, _ := b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions", body: "{\n  \"a\": tru\n}"}).apiError(t, 400)
	if !strings.Contains(msg, "line 2") {
		t.Errorf("bad JSON message should say where: %s", msg)
	}
	b.do(t, req{method: "POST", path: "/api/v1/workflows/none/executions"}).apiError(t, 404)
}

func TestStartExecutionWait(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "hello", helloYAML)
	b.put(t, "parked", parkedYAML)

	res := b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions?wait=10s", body: `{"name":"bo"}`})
	if res.status != 200 {
		t.Fatalf("wait: %d %s", res.status, res.body)
	}
	e := decodeExecution(t, res)
	if e.Status != "succeeded" || len(e.Steps) != 1 {
		t.Errorf("finished execution: %s", res.body)
	}
	// Same shape as GET /api/v1/executions/{id}.
	var viaWait, viaGet map[string]any
	_ = json.Unmarshal(res.body, &viaWait)
	_ = json.Unmarshal(b.get(t, "/api/v1/executions/"+e.ID).body, &viaGet)
	for k := range viaGet {
		if _, ok := viaWait[k]; !ok {
			t.Errorf("?wait= answer lacks %q that GET has", k)
		}
	}

	res = b.do(t, req{method: "POST", path: "/api/v1/workflows/parked/executions?wait=100ms"})
	if res.status != 202 || decodeExecution(t, res).Status == "succeeded" {
		t.Errorf("unfinished wait: %d %s", res.status, res.body)
	}
	for _, q := range []string{"wait=6m", "wait=soon"} {
		_, msg, _ := b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions?" + q}).apiError(t, 422)
		if !strings.Contains(msg, "wait") {
			t.Errorf("%s: %s", q, msg)
		}
	}
}

func TestListExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "hello", helloYAML)
	b.put(t, "parked", parkedYAML)
	var ids []string
	for range 3 {
		ids = append(ids, decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/hello/executions?wait=10s"})).ID)
	}
	parked := decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/parked/executions"})).ID
	b.waitStatus(t, parked, "waiting")

	list := func(q string) ([]string, string) {
		var l struct {
			Items []execution `json:"items"`
			Next  string      `json:"next_cursor"`
		}
		res := b.get(t, "/api/v1/executions?"+q)
		if err := json.Unmarshal(res.body, &l); err != nil || res.status != 200 {
			t.Fatalf("%s: %d %s", q, res.status, res.body)
		}
		var out []string
		for _, e := range l.Items {
			out = append(out, e.ID)
		}
		return out, l.Next
	}
	got, _ := list("workflow=hello&status=succeeded")
	if len(got) != 3 || got[0] != ids[2] {
		t.Errorf("succeeded hello executions newest first: %v, want reverse of %v", got, ids)
	}
	got, _ = list("status=waiting")
	if len(got) != 1 || got[0] != parked {
		t.Errorf("waiting: %v", got)
	}
	first, next := list("workflow=hello&limit=2")
	rest, last := list("workflow=hello&limit=2&cursor=" + next)
	if len(first) != 2 || len(rest) != 1 || next == "" || last != "" || rest[0] != ids[0] {
		t.Errorf("pages %v %q %v %q", first, next, rest, last)
	}

	code, msg, details := b.get(t, "/api/v1/executions?status=done").apiError(t, 422)
	if code != "invalid_parameter" || !strings.Contains(msg, `"succeeded"`) || details == nil {
		t.Errorf("bad status: %s %s %v", code, msg, details)
	}
	b.get(t, "/api/v1/executions/nope").apiError(t, 404)
}

func TestCancelAndRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "parked", parkedYAML)
	b.put(t, "failing", failingYAML)

	id := decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/parked/executions"})).ID
	b.waitStatus(t, id, "waiting")
	res := b.do(t, req{method: "POST", path: "/api/v1/executions/" + id + "/cancel"})
	if res.status != 200 {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	b.waitStatus(t, id, "canceled")
	b.do(t, req{method: "POST", path: "/api/v1/executions/" + id + "/cancel"}).apiError(t, 409)
	b.do(t, req{method: "POST", path: "/api/v1/executions/" + id + "/retry"}).apiError(t, 409)
	b.do(t, req{method: "POST", path: "/api/v1/executions/nope/cancel"}).apiError(t, 404)
	b.do(t, req{method: "POST", path: "/api/v1/executions/nope/retry"}).apiError(t, 404)

	res = b.do(t, req{method: "POST", path: "/api/v1/workflows/failing/executions?wait=10s"})
	failed := decodeExecution(t, res)
	if failed.Status != "failed" || failed.Error == nil {
		t.Fatalf("failing workflow: %s", res.body)
	}
	res = b.do(t, req{method: "POST", path: "/api/v1/executions/" + failed.ID + "/retry"})
	if res.status != 200 {
		t.Fatalf("retry: %d %s", res.status, res.body)
	}
	// It fails again at the same step; the completed step was kept.
	again := b.waitStatus(t, failed.ID, "failed")
	if len(again.Steps) != 2 {
		t.Errorf("after retry: %+v", again.Steps)
	}
}

func TestStepsCatalog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var l struct {
		Items []struct {
			Type   string         `json:"type"`
			Fields []any          `json:"fields"`
			Schema map[string]any `json:"schema"`
		} `json:"items"`
	}
	res := b.get(t, "/api/v1/steps")
	if err := json.Unmarshal(res.body, &l); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, it := range l.Items {
		types[it.Type] = true
		if it.Schema["type"] != "object" {
			t.Errorf("%s: schema %v", it.Type, it.Schema)
		}
	}
	for _, want := range []string{"transform", "http.request", "wait", "fail", "respond", "workflow.call"} {
		if !types[want] {
			t.Errorf("catalog lacks %s", want)
		}
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "slow", slowYAML)
	id := decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/slow/executions"})).ID

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/api/v1/executions/"+id+"/events?access_token="+testToken, nil)
	res, err := b.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var events []string
	var lastExec execution
	stepStatus := map[string]string{}
	stepSeen := map[string]int{} // "step status attempt n history h" → events
	sc := bufio.NewScanner(res.Body)
	event := ""
	keepAlive := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, ": keep-alive"):
			keepAlive = true
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			events = append(events, event)
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			switch event {
			case "execution":
				if err := json.Unmarshal([]byte(data), &lastExec); err != nil {
					t.Fatal(err)
				}
			case "step":
				var s struct{ StepID, Status string }
				var raw map[string]any
				_ = json.Unmarshal([]byte(data), &raw)
				s.StepID, _ = raw["step_id"].(string)
				s.Status, _ = raw["status"].(string)
				stepStatus[s.StepID] = s.Status
				// A wait step runs attempt 1 twice: before it suspends and
				// when it wakes (a suspension is not an attempt); the
				// history, which records the wait, tells the two apart.
				history, _ := raw["history"].([]any)
				stepSeen[fmt.Sprintf("%s %s attempt %v history %d", s.StepID, s.Status, raw["attempts"], len(history))]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("stream did not end cleanly: %v (events %v)", err, events)
	}
	if len(events) == 0 || events[0] == "end" || events[len(events)-1] != "end" {
		t.Errorf("events %v: want the current state first and end last", events)
	}
	if lastExec.Status != "succeeded" {
		t.Errorf("last execution event: %+v", lastExec)
	}
	for _, s := range []string{"first", "pause", "last"} {
		if stepStatus[s] != "succeeded" {
			t.Errorf("step %s last seen as %q (events %v)", s, stepStatus[s], events)
		}
	}
	if !keepAlive {
		t.Error("no keep-alive comment in a stream that lasted longer than the keep-alive interval")
	}
	// Each state of each step is sent once: the final re-read before end
	// must not repeat what the engine's events already said.
	for state, n := range stepSeen {
		if n > 1 {
			t.Errorf("step event %q sent %d times (events %v)", state, n, events)
		}
	}

	// A finished execution: snapshot and end at once.
	res2 := b.do(t, req{method: "GET", path: "/api/v1/executions/" + id + "/events"})
	if !strings.HasSuffix(string(res2.body), "event: end\ndata: {}\n\n") || !strings.Contains(string(res2.body), "event: step") {
		t.Errorf("finished stream: %s", res2.body)
	}
	b.get(t, "/api/v1/executions/nope/events").apiError(t, 404)
}
