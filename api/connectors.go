package api

import (
	"context"
	"net/http"
	"strconv"
)

// importMaxBody bounds an OpenAPI document sent to the importer: real ones
// are large (Stripe's is 8 MB, GitHub's 13 MB), so the route has its own
// limit instead of MaxBody.
const importMaxBody int64 = 64 << 20

// ConnectorImporter turns an OpenAPI document into an app connector and,
// when asked, saves it to the connectors directory and registers its step
// types on this process. internal/cli implements it.
type ConnectorImporter interface {
	ImportConnector(ctx context.Context, req ConnectorImport) (*ConnectorImported, error)
}

// ConnectorImport is one import request.
type ConnectorImport struct {
	Document []byte
	Name     string
	Title    string
	BaseURL  string
	// Save writes <connectors>/<name>/app.yaml and registers the steps.
	Save bool
}

// ConnectorImported is the answer: the spec written as app.yaml, its
// operations for a preview, and what the import left out.
type ConnectorImported struct {
	Name       string              `json:"name"`
	Title      string              `json:"title"`
	BaseURL    string              `json:"base_url"`
	Auth       []string            `json:"auth"`
	Operations []ImportedOperation `json:"operations"`
	Warnings   []string            `json:"warnings"`
	YAML       string              `json:"yaml"`
	// Saved says the spec was written; Registered that its step types are
	// in this process's catalog (a name already loaded takes effect at the
	// next start instead). Note says which.
	Saved      bool   `json:"saved"`
	Registered bool   `json:"registered"`
	Note       string `json:"note,omitempty"`
}

// ImportedOperation is one operation in the preview.
type ImportedOperation struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Method string `json:"method"`
	Path   string `json:"path"`
}

// importConnector serves POST /api/v1/connectors/import?name=acme[&save=true]
// with the OpenAPI document (YAML or JSON) as the body.
func (s *server) importConnector(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Connectors == nil {
		writeError(w, r, s.log, &Error{Status: http.StatusNotImplemented, Code: "not_configured", Message: "this server has no connector importer"})
		return
	}
	doc, err := readBody(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	req := ConnectorImport{Document: doc, Name: q.Get("name"), Title: q.Get("title"), BaseURL: q.Get("base_url")}
	if v := q.Get("save"); v != "" {
		if req.Save, err = strconv.ParseBool(v); err != nil {
			writeError(w, r, s.log, badRequest("save=%q: use true or false", v))
			return
		}
	}
	if len(doc) == 0 {
		writeError(w, r, s.log, badRequest("the body is empty: send the OpenAPI document (YAML or JSON) as the request body"))
		return
	}
	out, err := s.cfg.Connectors.ImportConnector(r.Context(), req)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	status := http.StatusOK
	if out.Saved {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
}
