package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// RunUsage checks a store.Usage implementation. open returns a fresh store.
func RunUsage(t *testing.T, open func(t *testing.T) store.Usage) {
	t.Run("RecordAndSum", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := context.Background()
		day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
		recs := []weft.UsageRecord{
			{ID: "e1/a/1", At: day.Add(time.Hour), Workflow: "triage", ExecutionID: "e1", StepID: "a", Credential: "openai", Provider: "openai", Model: "gpt-4o-mini", InputTokens: 100, OutputTokens: 10, CachedTokens: 5, CostUSD: 0.25},
			{ID: "e1/a/2", At: day.Add(2 * time.Hour), Workflow: "triage", ExecutionID: "e1", StepID: "a", Credential: "openai", Provider: "openai", Model: "gpt-4o-mini", InputTokens: 50, OutputTokens: 5, CostUSD: 0.125},
			{ID: "e2/b/1", At: day.Add(3 * time.Hour), Workflow: "triage", ExecutionID: "e2", StepID: "b", Credential: "anthropic", Provider: "anthropic", Model: "claude-haiku-4-5", InputTokens: 7, OutputTokens: 3, CostUSD: 0.5},
			{ID: "gw/1", At: day.Add(25 * time.Hour), Credential: "openai", Provider: "openai", Model: "gpt-4o", InputTokens: 1, OutputTokens: 1, CostUSD: 1},
		}
		for _, r := range recs {
			if err := s.RecordUsage(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// A repeated record is ignored.
		if err := s.RecordUsage(ctx, recs[0]); err != nil {
			t.Fatal(err)
		}
		sum := func(q weft.UsageQuery) []weft.UsageTotal {
			t.Helper()
			out, err := s.SumUsage(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		all := sum(weft.UsageQuery{})
		if len(all) != 1 || all[0].Calls != 4 || all[0].InputTokens != 158 || all[0].OutputTokens != 19 || all[0].CachedTokens != 5 || math.Abs(all[0].CostUSD-1.875) > 1e-9 {
			t.Fatalf("total = %+v", all)
		}
		byWf := sum(weft.UsageQuery{GroupBy: weft.UsageByWorkflow})
		if len(byWf) != 2 || byWf[0].Key != "" || byWf[1].Key != "triage" || byWf[1].Calls != 3 {
			t.Fatalf("by workflow = %+v", byWf)
		}
		bySt := sum(weft.UsageQuery{Workflow: "triage", GroupBy: weft.UsageByStep})
		if len(bySt) != 2 || bySt[0].Key != "triage/a" || bySt[0].InputTokens != 150 || bySt[1].Key != "triage/b" {
			t.Fatalf("by step = %+v", bySt)
		}
		byEx := sum(weft.UsageQuery{Workflow: "triage", GroupBy: weft.UsageByExecution})
		if len(byEx) != 2 || byEx[0].Key != "e1" || byEx[0].Calls != 2 {
			t.Fatalf("by execution = %+v", byEx)
		}
		byModel := sum(weft.UsageQuery{GroupBy: weft.UsageByModel, From: day, To: day.Add(24 * time.Hour)})
		if len(byModel) != 2 || byModel[0].Key != "anthropic/claude-haiku-4-5" || byModel[1].Key != "openai/gpt-4o-mini" {
			t.Fatalf("by model in a day = %+v", byModel)
		}
		cred := sum(weft.UsageQuery{Credential: "openai", From: day.Add(90 * time.Minute)})
		if len(cred) != 1 || cred[0].Calls != 2 {
			t.Fatalf("credential since 01:30 = %+v", cred)
		}
		if none := sum(weft.UsageQuery{Workflow: "nothing"}); len(none) != 0 {
			t.Fatalf("no match = %+v", none)
		}
		if _, err := s.SumUsage(ctx, weft.UsageQuery{GroupBy: "bogus"}); err == nil {
			t.Fatal("bogus grouping accepted")
		}
	})
}
