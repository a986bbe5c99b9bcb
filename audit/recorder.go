package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/weftworks/weft/store"
)

// Streamer hands a stored entry on, e.g. to the outbound webhook
// subscriptions that asked for "audit.entry".
type Streamer interface {
	PublishAudit(ctx context.Context, e store.AuditEntry)
}

// Recorder appends entries to the trail.
type Recorder struct {
	st     store.Audit
	log    *slog.Logger
	stream Streamer
	now    func() time.Time
}

// NewRecorder builds a Recorder; stream may be nil.
func NewRecorder(st store.Audit, log *slog.Logger, stream Streamer) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{st: st, log: log, stream: stream, now: time.Now}
}

// SetStreamer sets where stored entries go next (wiring breaks the cycle:
// the outbound service is built after the API's recorder).
func (r *Recorder) SetStreamer(s Streamer) { r.stream = s }

// Record appends one entry. The action it records has already happened,
// so a failure to store it does not undo it: it is logged at error level
// (with the entry, which holds no secrets) for the operator to see.
func (r *Recorder) Record(ctx context.Context, actor, source, action, target string, detail any) {
	var raw json.RawMessage
	if detail != nil {
		b, err := json.Marshal(detail)
		if err == nil && string(b) != "null" {
			raw = b
		}
	}
	e, err := r.st.AppendAudit(context.WithoutCancel(ctx), store.AuditEntry{Time: r.now(), Actor: actor, Source: source,
		Action: action, Target: target, Detail: raw})
	if err != nil {
		r.log.Error("the audit trail did not take an entry", "action", action, "actor", actor, "target", target, "err", err)
		return
	}
	if r.stream != nil {
		r.stream.PublishAudit(ctx, e)
	}
}
