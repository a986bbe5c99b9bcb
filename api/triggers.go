package api

import (
	"context"
	"net/http"

	"github.com/weftworks/weft/trigger/poll"
	"github.com/weftworks/weft/trigger/queue"
)

// TriggerHealth reports the health of triggers that hold a connection
// (queue consumers). *queue.Manager implements it.
type TriggerHealth interface {
	Health() []queue.Health
}

// PollHealth reports the liveness of polling triggers, read from the store
// so every process answers alike. *poll.Poller implements it.
type PollHealth interface {
	Health(ctx context.Context) ([]poll.Health, error)
}

var (
	_ TriggerHealth = (*queue.Manager)(nil)
	_ PollHealth    = (*poll.Poller)(nil)
)

// listTriggers serves GET /api/v1/triggers: every running queue trigger
// of this process with its health, so a silent consumer shows as
// unhealthy, and every polling trigger with its liveness (last success,
// last error, items seen, next poll).
func (s *server) listTriggers(w http.ResponseWriter, r *http.Request) {
	items := []queue.Health{}
	if s.cfg.Triggers != nil {
		items = s.cfg.Triggers.Health()
	}
	unhealthy := 0
	for _, h := range items {
		if h.Status != queue.StatusOK {
			unhealthy++
		}
	}
	polls := []poll.Health{}
	if s.cfg.Polls != nil {
		list, err := s.cfg.Polls.Health(r.Context())
		if err != nil {
			writeError(w, r, s.cfg.Logger, err)
			return
		}
		polls = append(polls, list...)
	}
	for _, h := range polls {
		if h.Status == poll.StatusError || h.Status == poll.StatusLate {
			unhealthy++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "polls": polls, "unhealthy": unhealthy})
}
