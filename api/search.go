package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// maxBulk bounds the executions one bulk retry or cancel acts on.
const maxBulk = 100

// badSearch refuses a search parameter with 400 and says how to fix it.
func badSearch(name, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_parameter",
		Message: fmt.Sprintf("query parameter %q: ", name) + fmt.Sprintf(format, args...)}
}

// searchFilter is the filter of the execution list, as query parameters or
// as the "filter" of a bulk request.
type searchFilter struct {
	Workflow string `json:"workflow,omitempty"`
	Status   string `json:"status,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	IDPrefix string `json:"id_prefix,omitempty"`
	// Input is "path=value" on the trigger data, e.g. "body.customer.id=42".
	Input string `json:"input,omitempty"`
}

func filterFromQuery(q url.Values) searchFilter {
	return searchFilter{Workflow: q.Get("workflow"), Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"),
		IDPrefix: q.Get("id_prefix"), Input: q.Get("input")}
}

// search turns the filter into a store search, refusing what it cannot be.
func (f searchFilter) search(maxScan int) (store.ExecutionSearch, error) {
	q := store.ExecutionSearch{ExecutionFilter: store.ExecutionFilter{Workflow: f.Workflow}, MaxScan: maxScan}
	if f.Status != "" {
		st := weft.ExecutionStatus(f.Status)
		if !st.Valid() {
			e := invalidParam("status", "%q is not an execution status; use one of %s", f.Status, quoteList(executionStatuses))
			e.Details = executionStatuses
			return q, e
		}
		q.Status = st
	}
	for _, t := range []struct {
		name, v string
		into    *time.Time
	}{{"from", f.From, &q.From}, {"to", f.To, &q.To}} {
		if t.v == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.v)
		if err != nil {
			return q, badSearch(t.name, "%.40q is not an RFC 3339 time such as 2025-03-14T15:09:26Z", t.v)
		}
		*t.into = v
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, badSearch("to", "%s is not after from (%s)", f.To, f.From)
	}
	if len(f.IDPrefix) > store.MaxIDPrefixLen {
		return q, badSearch("id_prefix", "%d characters long; an id prefix has at most %d", len(f.IDPrefix), store.MaxIDPrefixLen)
	}
	q.IDPrefix = f.IDPrefix
	if f.Input != "" {
		path, value, ok := strings.Cut(f.Input, "=")
		if !ok {
			return q, badSearch("input", "write it as field=value on the trigger data, e.g. body.customer.id=42")
		}
		path, value = strings.TrimSpace(path), strings.TrimSpace(value)
		parts, err := store.ParseInputPath(path)
		if err != nil {
			return q, badSearch("input", "%s", strings.TrimSuffix(err.Error(), ": "+weft.ErrInvalid.Error()))
		}
		if len(value) > store.MaxInputValueLen {
			return q, badSearch("input", "the value is %d characters long; the most is %d", len(value), store.MaxInputValueLen)
		}
		q.Input = &store.InputMatch{Path: parts, Value: value}
	}
	if err := q.Validate(); err != nil {
		return q, badSearch("id_prefix", "%s", strings.TrimSuffix(err.Error(), ": "+weft.ErrInvalid.Error()))
	}
	return q, nil
}

// searchList is the execution list with what a bounded trigger-data search read.
type searchList struct {
	list[weft.Execution]
	// Scanned and ScanLimited appear when ?input= is set: the rows read, and
	// whether the search stopped at the scan bound with next_cursor to go on.
	Scanned     *int `json:"scanned,omitempty"`
	ScanLimited bool `json:"scan_limited,omitempty"`
	MaxScan     int  `json:"max_scan,omitempty"`
}

func (s *server) searchExecutions(w http.ResponseWriter, r *http.Request, p store.Page) {
	q, err := filterFromQuery(r.URL.Query()).search(s.cfg.MaxSearchScan)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	q.Page = p
	res, err := s.store.SearchExecutions(r.Context(), q)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out := searchList{list: newList(res.Items, res.Cursor)}
	if q.Input != nil {
		out.Scanned, out.ScanLimited, out.MaxScan = &res.Scanned, res.ScanLimited, q.MaxScanOrDefault()
	}
	writeJSON(w, http.StatusOK, out)
}

// bulkRequest names executions by id or by the list's filter (the first
// maxBulk that match).
type bulkRequest struct {
	IDs    []string      `json:"ids"`
	Filter *searchFilter `json:"filter"`
}

type bulkResult struct {
	ID     string               `json:"id"`
	OK     bool                 `json:"ok"`
	Status weft.ExecutionStatus `json:"status,omitempty"`
	Error  *Error               `json:"error,omitempty"`
}

type bulkResponse struct {
	Results []bulkResult `json:"results"`
	// More says the filter matched more than maxBulk executions (or the
	// search stopped at its scan bound): run the request again for the rest.
	More bool `json:"more,omitempty"`
}

func (s *server) retryExecutions(w http.ResponseWriter, r *http.Request) {
	s.bulk(w, r, weft.ExecutionFailed, func(r *http.Request, id string) (weft.Execution, error) {
		ex, err := s.engine.RetryBy(r.Context(), id, principalOr(r))
		if err == nil {
			s.audit(r, "execution.retried", ex.ID, map[string]any{"workflow": ex.Workflow, "bulk": true})
		}
		return ex, err
	})
}

func (s *server) cancelExecutions(w http.ResponseWriter, r *http.Request) {
	s.bulk(w, r, "", func(r *http.Request, id string) (weft.Execution, error) {
		ex, err := s.engine.Cancel(r.Context(), id)
		if err == nil {
			s.audit(r, "execution.canceled", ex.ID, map[string]any{"workflow": ex.Workflow, "bulk": true})
		}
		return ex, err
	})
}

// bulk applies do to each named execution and answers every id's outcome;
// one failing does not stop the others. A filter without a status gets
// status (retry acts on failed executions only).
func (s *server) bulk(w http.ResponseWriter, r *http.Request, status weft.ExecutionStatus, do func(*http.Request, string) (weft.Execution, error)) {
	body, err := readJSON(r, "{}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var req bulkRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, r, s.log, badRequest("bulk request: %v; send {\"ids\": [...]} or {\"filter\": {...}}", err))
		return
	}
	if (len(req.IDs) > 0) == (req.Filter != nil) {
		writeError(w, r, s.log, badRequest("bulk request: send either ids (up to %d) or filter, not both and not neither", maxBulk))
		return
	}
	if len(req.IDs) > maxBulk {
		writeError(w, r, s.log, badRequest("bulk request: %d ids; at most %d at a time", len(req.IDs), maxBulk))
		return
	}
	ids, more := req.IDs, false
	if f := req.Filter; f != nil {
		if f.Status == "" {
			f.Status = string(status)
		}
		q, err := f.search(s.cfg.MaxSearchScan)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		q.Limit = maxBulk
		page, err := s.store.SearchExecutions(r.Context(), q)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		for _, e := range page.Items {
			ids = append(ids, e.ID)
		}
		more = page.Cursor != ""
	}
	out := bulkResponse{Results: make([]bulkResult, 0, len(ids)), More: more}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		ex, err := do(r, id)
		if err != nil {
			if r.Context().Err() != nil {
				writeError(w, r, s.log, r.Context().Err())
				return
			}
			e := toError(err)
			if errors.Is(err, weft.ErrNotFound) {
				e.Message = fmt.Sprintf("execution %q not found", id)
			}
			out.Results = append(out.Results, bulkResult{ID: id, Error: e})
			continue
		}
		out.Results = append(out.Results, bulkResult{ID: id, OK: true, Status: ex.Status})
	}
	writeJSON(w, http.StatusOK, out)
}
