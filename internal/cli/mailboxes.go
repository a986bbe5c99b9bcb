package cli

import (
	"fmt"
	"log/slog"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/trigger/imap"
	"github.com/weftworks/weft/trigger/queue"
)

// newMailboxes wires the mailbox triggers (on.imap): they dial through the
// connections' SSRF guard and claim mailboxes in the poll states.
func newMailboxes(eng *engine.Engine, st store.Store, conns step.Connections, logger *slog.Logger) (*imap.Manager, error) {
	m, err := imap.New(imap.Config{Engine: eng, Store: st, Connections: conns, Owner: eng.Owner(),
		Logger: logger.With("component", "imap")})
	if err != nil {
		return nil, fmt.Errorf("mailbox triggers: %w", err)
	}
	return m, nil
}

// triggerHealth lists the connection-holding triggers of this process:
// queue consumers, then watched mailboxes.
type triggerHealth struct {
	queues    *queue.Manager
	mailboxes *imap.Manager
}

var _ api.TriggerHealth = triggerHealth{}

// Health implements api.TriggerHealth.
func (t triggerHealth) Health() []queue.Health {
	return append(t.queues.Health(), t.mailboxes.Health()...)
}
