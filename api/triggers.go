package api

import (
	"net/http"

	"github.com/weftworks/weft/trigger/queue"
)

// TriggerHealth reports the health of triggers that hold a connection
// (queue consumers). *queue.Manager implements it.
type TriggerHealth interface {
	Health() []queue.Health
}

var _ TriggerHealth = (*queue.Manager)(nil)

// listTriggers serves GET /api/v1/triggers: every running queue trigger
// of this process with its health, so a silent consumer shows as unhealthy.
func (s *server) listTriggers(w http.ResponseWriter, _ *http.Request) {
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
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "unhealthy": unhealthy})
}
