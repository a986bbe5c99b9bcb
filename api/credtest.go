package api

// POST /api/v1/credentials/{name}/test: "Test connection". One harmless
// request through the connection, made by the step a workflow would use
// (http.request or sql.query) with the server's guarded HTTP client and
// dialer, so the answer is what a workflow would get.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/weftworks/weft/connectors/apps"
	httpstep "github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/step"
)

// CredentialTest is the answer of a connection test. Message is redacted:
// it never carries a credential's value.
type CredentialTest struct {
	OK         bool   `json:"ok"`
	Message    string `json:"message"`
	Status     int    `json:"status,omitempty"` // the HTTP status, for HTTP connections
	DurationMS int64  `json:"duration_ms"`
	// Target is what was called: the URL (without query) or "SELECT 1".
	Target string `json:"target"`
}

func (s *server) testCredential(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	name := r.PathValue("name")
	md, err := v.Metadata(r.Context(), name)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	body, err := readJSON(r, "{}")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var in struct {
		URL string `json:"url"`
		// App names an app connector whose test call to make through the
		// connection (GET /api/v1/apps lists them).
		App string `json:"app"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, r, s.log, badRequest("request body must be {\"url\": \"https://…\"}, {\"app\": \"slack\"} or empty: %v", err))
		return
	}
	if md.Type == "mcp" && in.App == "" && s.cfg.MCP != nil {
		s.testMCP(w, r, name)
		return
	}
	var (
		uses   string
		with   map[string]any
		target string
	)
	switch {
	case in.App != "":
		uses = in.App + "." + apps.TestOperation
		reg, ok := s.reg.Lookup(uses)
		if !ok || reg.Spec.App != in.App {
			writeError(w, r, s.log, badRequest("no app connector %q: GET /api/v1/apps lists them", in.App))
			return
		}
		target = in.App + " test call"
		with = map[string]any{"connection": name, "timeout": "10s"}
	case slices.Contains(credential.DatabaseKinds(), md.Type):
		uses, target = "sql.query", "SELECT 1"
		with = map[string]any{"credential": name, "sql": "SELECT 1", "max_rows": 1}
	case md.Type == credential.TypeWebhookSecret:
		writeError(w, r, s.log, badRequest("credential %q is a webhook secret: it verifies incoming webhooks and calls nothing, so there is no connection to test", name))
		return
	default:
		u := in.URL
		if u == "" {
			// A stored test_url (custom credentials may keep one).
			if c, err := v.Get(r.Context(), "", name); err == nil {
				u = c.Data["test_url"]
			}
		}
		if u == "" {
			writeError(w, r, s.log, badRequest("give the URL to test against: POST {\"url\": \"https://api.example.com/me\"} "+
				"(a GET that needs the credential and changes nothing), or store it as the credential's test_url field"))
			return
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			writeError(w, r, s.log, badRequest("url %q must be an absolute http or https URL", u))
			return
		}
		uses, target = "http.request", p.Scheme+"://"+p.Host+p.EscapedPath()
		with = map[string]any{"method": "GET", "url": u, "credential": name, "timeout": "10s", "max_response_bytes": 1 << 20}
	}
	res, took, err := s.engine.Probe(r.Context(), uses, with)
	out := CredentialTest{OK: err == nil, Target: target, DurationMS: took.Milliseconds()}
	if err != nil {
		out.Message = v.Redactor().String(step.ErrorInfo(err).Message)
		if se := statusOf(err); se > 0 {
			out.Status = se
		}
	} else {
		if m, ok := res.Output.(map[string]any); ok {
			if st, ok := m["status"].(int); ok {
				out.Status = st
			}
		}
		out.Message = fmt.Sprintf("%s answered in %s", target, took.Round(time.Millisecond))
		if out.Status > 0 {
			out.Message = fmt.Sprintf("GET %s answered %d in %s", target, out.Status, took.Round(time.Millisecond))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// statusOf finds the HTTP status of a refused answer, if err carries one.
func statusOf(err error) int {
	var se *httpstep.StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}
