package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/store"
)

// auditFilter reads the trail's filters from the query: actor, action
// (exact, or a prefix ending in "."), target, since, until (RFC 3339),
// before (a seq cursor) and limit.
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target")}
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.key); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, badRequest("%s=%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", t.key, v)
			}
			*t.dst = tm
		}
	}
	for _, n := range []struct {
		key string
		dst *int64
	}{{"before", &f.Before}, {"limit", new(int64)}} {
		if v := q.Get(n.key); v != "" {
			i, err := strconv.ParseInt(v, 10, 64)
			if err != nil || i < 0 {
				return f, badRequest("%s=%q is not a non-negative integer", n.key, v)
			}
			*n.dst = i
			if n.key == "limit" {
				f.Limit = int(min(i, 1000))
			}
		}
	}
	return f, nil
}

func (s *server) listAudit(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	items, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	next := ""
	if len(items) == f.AuditLimit() {
		next = strconv.FormatInt(items[len(items)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, newList(items, next))
}

// exportAudit streams entries as JSON lines, oldest first, from ?after=
// (a seq; 0 is the start) with the list's filters.
func (s *server) exportAudit(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeError(w, r, s.log, badRequest("after=%q is not a seq", v))
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="weft-audit.jsonl"`)
	if _, err := audit.Export(r.Context(), s.store, w, after, f); err != nil {
		// The status is sent; a cut-off stream is what the client sees.
		s.log.Warn("exporting the audit trail", "err", err)
	}
}

func (s *server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := audit.Verify(r.Context(), s.store)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
