package api

import (
	"net/http"
	"time"

	"github.com/weftworks/weft"
)

// usageView is the answer of GET /api/v1/usage: the total of AI usage in the
// window and the same broken down by the grouping asked for.
type usageView struct {
	From    *time.Time        `json:"from,omitempty"`
	To      *time.Time        `json:"to,omitempty"`
	GroupBy weft.UsageGroup   `json:"group_by"`
	Total   weft.UsageTotal   `json:"total"`
	Groups  []weft.UsageTotal `json:"groups"`
}

func (s *server) getUsage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uq := weft.UsageQuery{Workflow: q.Get("workflow"), Credential: q.Get("credential"), GroupBy: weft.UsageGroup(q.Get("group_by"))}
	if uq.GroupBy == "" {
		uq.GroupBy = weft.UsageByWorkflow
	}
	if !uq.GroupBy.Valid() {
		writeError(w, r, s.log, invalidParam("group_by", "use workflow, execution, step or model"))
		return
	}
	view := usageView{GroupBy: uq.GroupBy, Groups: []weft.UsageTotal{}}
	for name, dst := range map[string]*time.Time{"from": &uq.From, "to": &uq.To} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				writeError(w, r, s.log, invalidParam(name, "use an RFC 3339 time (2026-03-01T00:00:00Z) or a date (2026-03-01)"))
				return
			}
		}
		*dst = t.UTC()
	}
	if !uq.From.IsZero() {
		view.From = &uq.From
	}
	if !uq.To.IsZero() {
		view.To = &uq.To
	}
	groups, err := s.store.SumUsage(r.Context(), uq)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	for _, g := range groups {
		view.Total.Calls += g.Calls
		view.Total.InputTokens += g.InputTokens
		view.Total.OutputTokens += g.OutputTokens
		view.Total.CachedTokens += g.CachedTokens
		view.Total.CostUSD += g.CostUSD
		view.Groups = append(view.Groups, g)
	}
	writeJSON(w, http.StatusOK, view)
}
