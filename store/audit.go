package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// AuditEntry is one record of the audit trail. Seq, PrevHash and Hash are
// assigned by the store when the entry is appended.
type AuditEntry struct {
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // who: a user's email, "admin", "token:<id>"
	Source string    `json:"source"` // from where: the client address
	Action string    `json:"action"` // what: "workflow.saved", "signin.failed", ...
	Target string    `json:"target"` // on what: a workflow, credential, user or token
	// Detail holds action-specific facts (a version, a role); never secret
	// values.
	Detail   json.RawMessage `json:"detail,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// AuditFilter narrows ListAudit. Results are newest first; Before is a seq
// cursor (entries with a smaller seq).
type AuditFilter struct {
	Actor  string
	Action string // exact, or a prefix ending in "." ("workflow.")
	Target string
	Since  time.Time
	Until  time.Time
	Before int64
	Limit  int // <= 0 means 100, capped at 1000
}

// Audit is the append-only audit trail. Each entry carries the hash of the
// previous one, so an edited or removed row breaks the chain.
type Audit interface {
	// AppendAudit stores e as the next entry (its Seq, PrevHash and Hash
	// filled in) atomically with respect to every other append in any
	// process sharing the store, and returns it.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit lists entries newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// AuditChain returns up to limit entries with Seq > after, oldest
	// first: what verification and export walk.
	AuditChain(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
	// AuditAnchor returns the seq and hash of the last entry retention
	// removed (0, "" when none was).
	AuditAnchor(ctx context.Context) (seq int64, hash string, err error)
	// PruneAudit deletes up to batch of the oldest entries older than
	// before, recording the last deleted one as the anchor, and returns
	// how many it deleted.
	PruneAudit(ctx context.Context, before time.Time, batch int) (int, error)
}

// AuditHash is the chain hash of e given the previous entry's hash: the
// SHA-256 over length-prefixed fields, so no two entries encode alike.
// Time counts in microseconds, what both stores keep.
func AuditHash(prev string, e AuditEntry) string {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(e.Seq))
	field(v[:])
	binary.BigEndian.PutUint64(v[:], uint64(e.Time.UnixMicro()))
	field(v[:])
	for _, s := range []string{prev, e.Actor, e.Source, e.Action, e.Target, string(e.Detail)} {
		field([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditLimit is the page size ListAudit uses for f.
func (f AuditFilter) AuditLimit() int {
	switch {
	case f.Limit <= 0:
		return 100
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}
