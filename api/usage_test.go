package api

import (
	"context"
	"testing"
	"time"

	"github.com/weftworks/weft"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, r := range []weft.UsageRecord{
		{ID: "1", At: day.Add(time.Hour), Workflow: "triage", ExecutionID: "e1", StepID: "analyse", Provider: "openai", Model: "gpt-4o-mini", InputTokens: 100, OutputTokens: 20, CostUSD: 0.5},
		{ID: "2", At: day.Add(2 * time.Hour), Workflow: "triage", ExecutionID: "e2", StepID: "analyse", Provider: "openai", Model: "gpt-4o-mini", InputTokens: 50, OutputTokens: 10, CostUSD: 0.25},
		{ID: "3", At: day.Add(48 * time.Hour), Workflow: "other", ExecutionID: "e3", StepID: "s", Provider: "gemini", Model: "gemini-2.5-flash", InputTokens: 1, OutputTokens: 1, CostUSD: 1},
	} {
		if err := b.store.RecordUsage(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	m := b.get(t, "/api/v1/usage?workflow=triage&from=2026-03-10&to=2026-03-11&group_by=execution").json(t)
	total := m["total"].(map[string]any)
	if total["calls"] != 2.0 || total["input_tokens"] != 150.0 || total["cost_usd"] != 0.75 {
		t.Fatalf("total = %v", total)
	}
	if g := m["groups"].([]any); len(g) != 2 || g[0].(map[string]any)["key"] != "e1" {
		t.Fatalf("groups = %v", g)
	}
	m = b.get(t, "/api/v1/usage").json(t)
	if g := m["groups"].([]any); len(g) != 2 || m["group_by"] != "workflow" || m["total"].(map[string]any)["calls"] != 3.0 {
		t.Fatalf("by workflow = %v", m)
	}
	b.get(t, "/api/v1/usage?group_by=planet").apiError(t, 422)
	b.get(t, "/api/v1/usage?from=yesterday").apiError(t, 422)
}
