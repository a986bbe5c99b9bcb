package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"sort"

	"github.com/weftworks/weft/circuit"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/ratelimit"
)

// LimiterStates reports a connection's rate limiter state.
type LimiterStates interface {
	Snapshot(ctx context.Context, workflow, connection string) (ratelimit.Snapshot, error)
}

// BreakerStates reports the circuit breakers of the hosts a connection
// called.
type BreakerStates interface {
	Connection(name string) map[string]circuit.State
}

// vault answers 404 when this server has no credential vault.
func (s *server) vault(w http.ResponseWriter, r *http.Request) *credential.Vault {
	if s.cfg.Credentials == nil {
		writeError(w, r, s.log, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "this server has no credential vault"})
	}
	return s.cfg.Credentials
}

// putCredential creates or replaces a credential. Values are write-only: the
// answer is metadata.
func (s *server) putCredential(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	body, err := readJSON(r, "")
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var in credential.Input
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, r, s.log, &Error{Status: http.StatusBadRequest, Code: "bad_request",
			Message: fmt.Sprintf("credential body: %v; send {\"type\": \"…\", \"data\": {…}, \"workflows\": […], \"hosts\": […]}", v.Redactor().String(err.Error()))})
		return
	}
	name := r.PathValue("name")
	_, existed := v.Metadata(r.Context(), name)
	md, err := v.Put(r.Context(), name, in)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	action := "credential.created"
	if existed == nil {
		action = "credential.replaced"
	}
	// The type and the field names; never a value.
	s.audit(r, action, name, map[string]any{"type": md.Type, "fields": md.Fields, "workflows": md.Workflows, "hosts": md.Hosts})
	s.forgetMCPTools(r.Context(), name)
	writeJSON(w, http.StatusOK, md)
}

func (s *server) getCredential(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	md, err := v.Metadata(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, md)
}

// credentialName is what a viewer sees of a credential.
type credentialName struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func (s *server) listCredentials(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	list, err := v.List(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if !Allowed(r.Context(), identity.CredentialsRead) {
		// credentials:list sees names and types only: which fields,
		// workflows and hosts a credential has is secret metadata.
		names := make([]credentialName, len(list))
		for i, md := range list {
			names[i] = credentialName{Name: md.Name, Type: md.Type}
		}
		writeJSON(w, http.StatusOK, newList(names, ""))
		return
	}
	writeJSON(w, http.StatusOK, newList(list, ""))
}

func (s *server) deleteCredential(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	if err := v.Delete(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.audit(r, "credential.deleted", r.PathValue("name"), nil)
	s.forgetMCPTools(r.Context(), r.PathValue("name"))
	w.WriteHeader(http.StatusNoContent)
}

// listCredentialTypes is the catalog of credential types and their fields.
func (s *server) listCredentialTypes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, newList(credential.Types(), ""))
}

// startOAuth redirects the browser to the provider's consent page. With
// ?format=json it answers 200 and the URL instead: a page calling it with
// fetch (which sends the API token a plain link cannot) opens the URL itself.
func (s *server) startOAuth(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	u, err := v.StartOAuth(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if r.URL.Query().Get("format") == "json" {
		writeJSON(w, http.StatusOK, map[string]string{"authorize_url": u})
		return
	}
	w.Header().Set("Location", u)
	writeJSON(w, http.StatusFound, map[string]string{"authorize_url": u})
}

// oauthCallback is where the provider sends the browser back. It is public
// (the provider cannot send an API token); the state, bound to one pending
// authorization, is what authenticates it.
func (s *server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		writeError(w, r, s.log, &Error{Status: http.StatusBadRequest, Code: "oauth_denied", Message: "the provider answered: " + e})
		return
	}
	name, err := v.FinishOAuth(r.Context(), q.Get("state"), q.Get("code"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>Weft</title><p>Credential <b>%s</b> is authorized. You can close this page.</p>", html.EscapeString(name))
}

// connectionView is one entry of GET /api/v1/connections.
type connectionView struct {
	Name    string              `json:"name"`
	Type    string              `json:"type"`
	Hosts   []string            `json:"hosts"`
	Status  credential.Status   `json:"status"`
	Limiter *ratelimit.Snapshot `json:"limiter,omitempty"`
	// Breakers are the circuit breakers of the hosts this connection
	// called, by host: "closed", "half-open" or "open".
	Breakers map[string]circuit.State `json:"breakers,omitempty"`
}

// listConnections lists configured connections with their health and
// limiter state in this process's view.
func (s *server) listConnections(w http.ResponseWriter, r *http.Request) {
	v := s.vault(w, r)
	if v == nil {
		return
	}
	list, err := v.List(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out := make([]connectionView, 0, len(list))
	for _, md := range list {
		cv := connectionView{Name: md.Name, Type: md.Type, Hosts: md.Hosts, Status: v.Status(r.Context(), md.Name)}
		if s.cfg.Limiter != nil {
			if snap, err := s.cfg.Limiter.Snapshot(r.Context(), "", md.Name); err == nil {
				cv.Limiter = &snap
			}
		}
		if s.cfg.Breakers != nil {
			cv.Breakers = s.cfg.Breakers.Connection(md.Name)
		}
		out = append(out, cv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, newList(out, ""))
}
