package store_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func finishedCreate(runs ...weft.StepRun) *store.Mutation {
	return &store.Mutation{Create: &weft.Execution{ID: "e1", Workflow: "wf", Status: weft.ExecutionSucceeded}, ExecutionID: "e1", StepRuns: runs}
}

// TestInlineStepRunsRoundTrip: every field, and payloads a JSON string
// cannot hold (NUL, bytes that are not UTF-8), read back as a step_runs row
// would give them: times in UTC at microseconds, empty payloads nil, in
// GetStepRuns order.
func TestInlineStepRunsRoundTrip(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("x", 3600))
	t1, t2 := t0.Add(1500*time.Microsecond), t0.Add(time.Hour)
	in := []weft.StepRun{
		{StepID: "z-pending", Item: weft.WholeStep, Status: weft.StepPending, Input: json.RawMessage{}},
		{StepID: "b", Item: 3, Type: "http.request", Status: weft.StepFailed, Attempts: 7,
			Input:  json.RawMessage("{\"html\":\"<a href='x'>&amp;</a>\",\"line\":\"\u2028\"}"),
			Output: json.RawMessage("bin\x00ary"), State: json.RawMessage{0xff, 0xfe, '{'},
			Error:     &weft.ErrorInfo{Code: "", Message: "no code, \"quoted\"\n"},
			StartedAt: &t0, FinishedAt: &t1, WakeAt: &t2,
			History: []weft.Attempt{{Attempt: 1, At: t0.UTC(), Outcome: "retry", DurationMS: 3, Code: "c", Error: "e", Wait: weft.Duration(2 * time.Second), Reason: "backoff"}}},
		{StepID: "a", Item: weft.WholeStep, Type: "transform", Status: weft.StepSucceeded, Attempts: 1,
			Input: json.RawMessage(`{"a": [1, 2.50]}`), Output: json.RawMessage(`"ü"`), StartedAt: &t0,
			Error: &weft.ErrorInfo{Code: "x", Message: ""}},
	}
	b := store.InlineStepRuns(finishedCreate(in...))
	if b == nil {
		t.Fatal("InlineStepRuns refused a finished create")
	}
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	got, err := store.DecodeInlineStepRuns("e1", b)
	if err != nil {
		t.Fatal(err)
	}
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		u := p.Truncate(time.Microsecond).UTC()
		return &u
	}
	want := []weft.StepRun{in[2], in[1], in[0]} // started first by time, then step id; not started last
	for i := range want {
		r := &want[i]
		r.ExecutionID = "e1"
		r.StartedAt, r.FinishedAt, r.WakeAt = utc(r.StartedAt), utc(r.FinishedAt), utc(r.WakeAt)
		if len(r.Input) == 0 {
			r.Input = nil
		}
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("round trip:\n got  %s\n want %s", gj, wj)
	}
}

// TestInlineStepRunsRefused: what must go to step_runs rows instead.
func TestInlineStepRunsRefused(t *testing.T) {
	run := weft.StepRun{StepID: "a", Item: weft.WholeStep, Status: weft.StepSucceeded}
	many := make([]weft.StepRun, store.MaxInlineStepRuns+1)
	for i := range many {
		many[i] = weft.StepRun{StepID: "each", Item: i, Status: weft.StepSucceeded}
	}
	running := finishedCreate(run)
	running.Create.Status = weft.ExecutionRunning
	patched := finishedCreate(run)
	patched.Patch = &store.ExecutionPatch{}
	noCreate := finishedCreate(run)
	noCreate.Create = nil
	for name, m := range map[string]*store.Mutation{
		"not finished":       running,
		"with a patch":       patched,
		"no create":          noCreate,
		"no step runs":       finishedCreate(),
		"too many":           finishedCreate(many...),
		"same step and item": finishedCreate(run, run),
		"step id not UTF-8":  finishedCreate(weft.StepRun{StepID: "\xff", Status: weft.StepSucceeded}),
		"NUL in a type":      finishedCreate(weft.StepRun{StepID: "a", Type: "t\x00", Status: weft.StepSucceeded}),
		"NUL in an error":    finishedCreate(weft.StepRun{StepID: "a", Status: weft.StepFailed, Error: &weft.ErrorInfo{Message: "\x00"}}),
	} {
		if b := store.InlineStepRuns(m); b != nil {
			t.Errorf("%s: inlined as %s", name, b)
		}
	}
	if b := store.InlineStepRuns(finishedCreate(many[:store.MaxInlineStepRuns]...)); b == nil {
		t.Errorf("MaxInlineStepRuns step runs were not inlined")
	}
}

func TestMergeSamples(t *testing.T) {
	s := func(created int64, typ string) store.DatedSample {
		return store.DatedSample{Created: created, StepSample: store.StepSample{Type: typ}}
	}
	a := []store.DatedSample{s(9, "a9"), s(5, "a5"), s(1, "a1")}
	b := []store.DatedSample{s(7, "b7"), s(6, "b6"), s(2, "b2")}
	var got []string
	for _, x := range store.MergeSamples(a, b, 4) {
		got = append(got, x.Type)
	}
	if want := []string{"a9", "b7", "b6", "a5"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
}
