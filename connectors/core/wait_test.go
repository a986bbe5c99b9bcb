package core_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/step/steptest"
)

func TestWaitFor(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	env := steptest.NewEnv()
	req := steptest.NewRequestIn(env, map[string]any{"for": "10m"})
	deadline := steptest.Epoch().Add(10 * time.Minute)

	res, err := steptest.Run(t, reg, "wait", req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Suspend == nil || !res.Suspend.Until.Equal(deadline) {
		t.Fatalf("first run = %+v, want a suspension until %v", res, deadline)
	}

	// Woken early (a crash, a takeover): same deadline, not now+10m.
	env.Clock.Advance(4 * time.Minute)
	again := steptest.Resume(t, req, res)
	res2, err := steptest.Run(t, reg, "wait", again)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Suspend == nil || !res2.Suspend.Until.Equal(deadline) {
		t.Fatalf("early rerun = %+v, want a suspension until %v", res2, deadline)
	}
	if string(steptest.Resume(t, again, res2).State) != string(again.State) {
		t.Errorf("state changed on rerun: %s → %s", again.State, steptest.Resume(t, again, res2).State)
	}

	env.Clock.Advance(6 * time.Minute)
	res3, err := steptest.Run(t, reg, "wait", steptest.Resume(t, again, res2))
	if err != nil {
		t.Fatal(err)
	}
	if res3.Suspend != nil {
		t.Fatalf("run at the deadline suspended again until %v", res3.Suspend.Until)
	}
	want := map[string]any{"waited_until": deadline.Format(time.RFC3339Nano)}
	if got, _ := json.Marshal(res3.Output); string(got) != mustJSON(t, want) {
		t.Fatalf("output = %s, want %s", got, mustJSON(t, want))
	}
}

func TestWaitFirstRun(t *testing.T) {
	t.Parallel()
	epoch := steptest.Epoch()
	tests := []struct {
		name      string
		with      map[string]any
		wantUntil time.Time // zero: finishes at once
		wantErr   string
	}{
		{"for in days", map[string]any{"for": "2d"}, epoch.Add(48 * time.Hour), ""},
		{"for in seconds as a number", map[string]any{"for": 90}, epoch.Add(90 * time.Second), ""},
		{"until string with zone", map[string]any{"until": "2026-01-02T05:00:00+01:00"}, time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC), ""},
		{"until time value", map[string]any{"until": epoch.Add(time.Hour)}, epoch.Add(time.Hour), ""},
		{"until already past", map[string]any{"until": "2020-01-01T00:00:00Z"}, time.Time{}, ""},
		{"for zero", map[string]any{"for": "0s"}, time.Time{}, ""},
		{"both", map[string]any{"for": "1m", "until": "2026-01-02T04:00:00Z"}, time.Time{}, "not both"},
		{"neither", map[string]any{}, time.Time{}, "give `for`"},
		{"bad duration", map[string]any{"for": "soon"}, time.Time{}, "invalid duration"},
		{"negative duration", map[string]any{"for": "-5m"}, time.Time{}, "negative"},
		{"until without zone", map[string]any{"until": "2026-01-02T04:00:00"}, time.Time{}, "RFC 3339"},
		{"until a number", map[string]any{"until": 5}, time.Time{}, "RFC 3339"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := steptest.Run(t, newRegistry(t), "wait", steptest.NewRequest(tt.with))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || codeOf(err) != "validation" {
					t.Fatalf("err = %v (code %q), want a validation error containing %q", err, codeOf(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantUntil.IsZero() {
				if res.Suspend != nil || res.Output == nil {
					t.Fatalf("result = %+v, want output at once", res)
				}
				return
			}
			if res.Suspend == nil || !res.Suspend.Until.Equal(tt.wantUntil) {
				t.Fatalf("result = %+v, want a suspension until %v", res, tt.wantUntil)
			}
		})
	}
}

func TestWaitBadState(t *testing.T) {
	t.Parallel()
	req := steptest.NewRequest(map[string]any{"for": "1m"})
	req.State = json.RawMessage(`{"child":"x"}`)
	if _, err := steptest.Run(t, newRegistry(t), "wait", req); err == nil || !strings.Contains(err.Error(), "saved state") {
		t.Fatalf("err = %v, want a saved-state error", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
