package poll

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/weftworks/weft"
)

// Statuses of a polling trigger.
const (
	StatusOK      = "ok"
	StatusPending = "pending" // not polled yet
	StatusError   = "error"   // the last poll failed
	StatusPaused  = "paused"  // the source asked to wait (429)
	StatusLate    = "late"    // no poll for more than two intervals: no process is polling
)

// Health is one polling trigger's liveness, shared by every process (it
// is read from the store).
type Health struct {
	Workflow      string     `json:"workflow"`
	Index         int        `json:"index"`
	Kind          string     `json:"kind"` // "poll"
	Step          string     `json:"step"`
	Every         string     `json:"every"`
	Status        string     `json:"status"`
	LastPollAt    *time.Time `json:"last_poll_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	ItemsSeen     int64      `json:"items_seen"`
	NextPollAt    *time.Time `json:"next_poll_at,omitempty"`
	PausedUntil   *time.Time `json:"paused_until,omitempty"`
	PolledBy      string     `json:"polled_by,omitempty"` // owner of a poll in flight
}

// Health returns the health of every polling trigger this process knows,
// ordered by workflow and index.
func (p *Poller) Health(ctx context.Context) ([]Health, error) {
	states, err := p.cfg.Store.ListPollStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading poll states: %w", err)
	}
	now := p.cfg.Now()
	p.mu.Lock()
	out := make([]Health, 0, len(p.entries))
	for _, e := range p.entries {
		out = append(out, Health{Workflow: e.workflow, Index: e.node.Index, Kind: "poll", Step: e.node.Trigger.Step,
			Every: e.node.Trigger.Every.String(), Status: StatusPending})
	}
	p.mu.Unlock()
	byKey := map[string]int{}
	for i, h := range out {
		byKey[key(h.Workflow, h.Index)] = i
	}
	for _, st := range states {
		i, ok := byKey[key(st.Workflow, st.Index)]
		if !ok {
			continue
		}
		h := &out[i]
		h.LastPollAt, h.LastSuccessAt, h.LastErrorAt, h.LastError = st.LastPollAt, st.LastSuccessAt, st.LastErrorAt, st.LastError
		h.ItemsSeen, h.PausedUntil = st.ItemsSeen, st.PausedUntil
		next := st.NextPollAt
		h.NextPollAt = &next
		if st.ClaimOwner != "" && st.ClaimUntil != nil && st.ClaimUntil.After(now) {
			h.PolledBy = st.ClaimOwner
		}
		every, _ := weft.ParseDuration(h.Every)
		switch {
		case st.PausedUntil != nil && st.PausedUntil.After(now):
			h.Status = StatusPaused
		case st.LastPollAt == nil:
			h.Status = StatusPending
		case st.LastErrorAt != nil && (st.LastSuccessAt == nil || st.LastErrorAt.After(*st.LastSuccessAt)):
			h.Status = StatusError
		case now.Sub(next) > 2*every.D()+time.Minute:
			h.Status = StatusLate
		default:
			h.Status = StatusOK
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Workflow != out[j].Workflow {
			return out[i].Workflow < out[j].Workflow
		}
		return out[i].Index < out[j].Index
	})
	return out, nil
}
