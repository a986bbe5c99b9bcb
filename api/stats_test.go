package api

import (
	"encoding/json"
	"testing"
)

func TestListWorkflowsLastExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "failing", failingYAML)
	b.put(t, "parked", parkedYAML)
	failed := decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/failing/executions?wait=10s"}))

	var l struct {
		Items []struct {
			Name          string `json:"name"`
			Source        string `json:"source"`
			LastExecution *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"last_execution"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b.get(t, "/api/v1/workflows").body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 2 || l.Items[0].Name != "failing" || l.Items[1].Name != "parked" {
		t.Fatalf("items = %+v", l.Items)
	}
	if l.Items[0].Source == "" {
		t.Error("the record's fields are still there")
	}
	if le := l.Items[0].LastExecution; le == nil || le.ID != failed.ID || le.Status != "failed" {
		t.Errorf("failing: last_execution = %+v, want %s failed", le, failed.ID)
	}
	if le := l.Items[1].LastExecution; le != nil {
		t.Errorf("parked never ran: last_execution = %+v", le)
	}
}

func TestExecutionListsPendingSteps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "parked", parkedYAML+`  - id: after
    uses: transform
    with: { done: true }
`)
	id := decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/parked/executions"})).ID
	b.waitStatus(t, id, "waiting")
	var e struct {
		Steps []struct {
			StepID string `json:"step_id"`
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"steps"`
	}
	res := b.get(t, "/api/v1/executions/"+id)
	if err := json.Unmarshal(res.body, &e); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range e.Steps {
		got = append(got, s.StepID+":"+s.Status)
	}
	if len(e.Steps) != 2 || e.Steps[0].StepID != "pause" || e.Steps[1].StepID != "after" || e.Steps[1].Status != "pending" {
		t.Fatalf("steps = %v, want pause then after:pending\n%s", got, res.body)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "failing", failingYAML)
	b.put(t, "slow", slowYAML)
	for range 2 {
		b.do(t, req{method: "POST", path: "/api/v1/workflows/failing/executions?wait=10s"})
	}
	if e := decodeExecution(t, b.do(t, req{method: "POST", path: "/api/v1/workflows/slow/executions?wait=10s"})); e.Status != "succeeded" {
		t.Fatalf("slow: %+v", e)
	}

	var s struct {
		Total         int            `json:"total"`
		BucketSeconds int            `json:"bucket_seconds"`
		ByStatus      map[string]int `json:"by_status"`
		ErrorRate     float64        `json:"error_rate"`
		PerBucket     []struct {
			Counts map[string]int `json:"counts"`
		} `json:"per_bucket"`
		TopFailing []struct {
			Workflow string `json:"workflow"`
			Failed   int    `json:"failed"`
		} `json:"top_failing"`
		StepLatency []struct {
			Type  string  `json:"type"`
			Count int     `json:"count"`
			P95   float64 `json:"p95_ms"`
		} `json:"step_latency"`
	}
	res := b.get(t, "/api/v1/stats?since=1h")
	if res.status != 200 {
		t.Fatalf("stats: %d %s", res.status, res.body)
	}
	if err := json.Unmarshal(res.body, &s); err != nil {
		t.Fatal(err)
	}
	if s.Total != 3 || s.ByStatus["failed"] != 2 || s.ByStatus["succeeded"] != 1 || s.BucketSeconds != 60 {
		t.Errorf("totals: %s", res.body)
	}
	if s.ErrorRate < 0.66 || s.ErrorRate > 0.67 {
		t.Errorf("error_rate = %v, want 2/3", s.ErrorRate)
	}
	inBuckets := 0
	for _, bk := range s.PerBucket {
		for _, n := range bk.Counts {
			inBuckets += n
		}
	}
	if inBuckets != 3 {
		t.Errorf("per_bucket holds %d executions, want 3: %s", inBuckets, res.body)
	}
	if len(s.TopFailing) != 1 || s.TopFailing[0].Workflow != "failing" || s.TopFailing[0].Failed != 2 {
		t.Errorf("top_failing = %+v", s.TopFailing)
	}
	types := map[string]int{}
	for _, l := range s.StepLatency {
		types[l.Type] = l.Count
		if l.Type == "wait" && l.P95 < 300 {
			t.Errorf("wait p95 = %vms, want at least the 300ms it waited", l.P95)
		}
	}
	// failing: ok (transform) and boom (fail) twice; slow: two transforms and a wait.
	if types["transform"] != 4 || types["fail"] != 2 || types["wait"] != 1 {
		t.Errorf("step_latency counts = %v", types)
	}

	for _, bad := range []string{"since=0s", "since=30d", "since=soon", "since=1h&bucket=1ms"} {
		b.get(t, "/api/v1/stats?"+bad).apiError(t, 422)
	}
}
