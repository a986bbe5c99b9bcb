package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/weftworks/weft/step"
)

// stepView is a catalog entry: the spec plus the JSON Schema of its with:.
type stepView struct {
	step.Spec
	Schema map[string]any `json:"schema"`
}

// listSteps serves the step catalog. The editor loads it on every open,
// and it changes only with the binary: it carries an ETag (a revalidation
// is a 304 without the body) and goes out gzipped when the client takes it.
func (s *server) listSteps(w http.ResponseWriter, r *http.Request) {
	specs := s.reg.Specs()
	items := make([]stepView, len(specs))
	for i, sp := range specs {
		items[i] = stepView{Spec: sp, Schema: sp.JSONSchema()}
	}
	body, err := json.Marshal(newList(items, ""))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, nil)
		return
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	etag := `"steps-` + hex.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// Cacheable, but asked again each time: a new binary may bring new steps.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Vary", "Accept-Encoding")
	gz := acceptsGzip(r)
	if gz {
		etag = strings.TrimSuffix(etag, `"`) + `-gz"`
	}
	h.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// etagMatches reports whether an If-None-Match header names etag (or *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the request accepts gzip (and does not refuse
// it with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		if !strings.EqualFold(enc, "gzip") && enc != "*" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
