package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/workflow"
)

// workflowView is a stored workflow with its parsed document.
type workflowView struct {
	weft.WorkflowRecord
	// Workflow is the parsed document; nil when the stored source no longer
	// compiles (a step type was removed, say), then Diagnostics says why.
	Workflow    *weft.Workflow        `json:"workflow,omitempty"`
	Diagnostics []workflow.Diagnostic `json:"diagnostics,omitempty"`
	// Changed is set on writes: false when the stored version was already
	// byte-identical (no new version was made).
	Changed *bool `json:"changed,omitempty"`
}

// docFile is the file name a stored or posted document is parsed under; it
// appears in diagnostics.
func docFile(name string, jsonDoc bool) string {
	if jsonDoc {
		return name + ".json"
	}
	return name + ".yaml"
}

// view parses nothing when the engine has the version compiled: reading a
// 20,000-step workflow parsed its source on every GET (seconds each).
func (s *server) view(rec weft.WorkflowRecord) workflowView {
	v := workflowView{WorkflowRecord: rec}
	c, err := s.engine.CompiledRecord(rec)
	if err != nil {
		// Parse again under the API's file name for the diagnostics; this
		// path is only taken by versions that no longer compile.
		c, err = workflow.Parse(docFile(rec.Name, isJSON("", []byte(rec.Source))), []byte(rec.Source), s.reg)
	}
	if err != nil {
		var diags workflow.Diagnostics
		if errors.As(err, &diags) {
			v.Diagnostics = diags
		} else {
			v.Diagnostics = []workflow.Diagnostic{{File: docFile(rec.Name, false), Line: 1, Column: 1, Message: err.Error()}}
		}
		return v
	}
	v.Workflow = c.Workflow
	return v
}

func (s *server) listWorkflows(w http.ResponseWriter, r *http.Request) {
	p, err := page(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	recs, next, err := s.store.ListWorkflows(r.Context(), p)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	items, err := s.withLastExecutions(r.Context(), recs)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(items, next))
}

func (s *server) getWorkflow(w http.ResponseWriter, r *http.Request) {
	rec, err := s.store.GetWorkflow(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(rec))
}

// createWorkflow stores a new workflow named by its document; 409 if the
// name is taken (PUT replaces).
func (s *server) createWorkflow(w http.ResponseWriter, r *http.Request) {
	src, err := readBody(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	jsonDoc := isJSON(r.Header.Get("Content-Type"), src)
	name, err := documentName(src)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if name == "" || !weft.NamePattern.MatchString(name) {
		// Let Parse say what is wrong with the document, with positions.
		if _, perr := workflow.Parse(docFile("workflow", jsonDoc), src, s.reg); perr != nil {
			writeError(w, r, s.log, perr)
			return
		}
		writeError(w, r, s.log, nameDiagnostic(docFile("workflow", jsonDoc), 1, 1,
			"the document has no valid `name:`; add a line like `name: my-workflow` ([a-z0-9-], at most 63 characters)"))
		return
	}
	if _, err := s.store.GetWorkflow(r.Context(), name); err == nil {
		writeError(w, r, s.log, fmt.Errorf("workflow %q already exists; replace it with PUT /api/v1/workflows/%s: %w", name, name, weft.ErrConflict))
		return
	} else if !errors.Is(err, weft.ErrNotFound) {
		writeError(w, r, s.log, err)
		return
	}
	s.save(w, r, name, src, jsonDoc)
}

// putWorkflow creates or replaces the workflow {name}.
func (s *server) putWorkflow(w http.ResponseWriter, r *http.Request) {
	src, err := readBody(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.save(w, r, r.PathValue("name"), src, isJSON(r.Header.Get("Content-Type"), src))
}

// save validates src as workflow name and stores it: 201 when it created
// the workflow, 200 otherwise.
func (s *server) save(w http.ResponseWriter, r *http.Request, name string, src []byte, jsonDoc bool) {
	ctx := r.Context()
	if !weft.NamePattern.MatchString(name) {
		writeError(w, r, s.log, fmt.Errorf("workflow name %q in the URL must match %s: %w", name, weft.NamePattern, weft.ErrInvalid))
		return
	}
	file := docFile(name, jsonDoc)
	c, err := workflow.Parse(file, src, s.reg)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if err := checkName(file, src, name); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if err := s.checkMCPCalls(ctx, file, c); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	created := false
	prev, err := s.store.GetWorkflow(ctx, name)
	if errors.Is(err, weft.ErrNotFound) {
		created = true
	} else if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	rec, changed, err := s.put(ctx, name, src, c)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if changed {
		s.auditSaved(r, rec, c, prev, created)
	}
	status := http.StatusOK
	if created && changed {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/workflows/"+url.PathEscape(name))
	}
	v := workflowView{WorkflowRecord: rec, Workflow: c.Workflow, Changed: &changed}
	writeJSON(w, status, v)
}

// put stores a validated document and drops the engine's cached version.
func (s *server) put(ctx context.Context, name string, src []byte, c *workflow.Compiled) (weft.WorkflowRecord, bool, error) {
	rec := weft.WorkflowRecord{
		Name:        name,
		Source:      string(src),
		Description: c.Workflow.Description,
		Enabled:     c.Workflow.IsEnabled(),
	}
	if wh := c.Workflow.On.Webhook; wh != nil {
		rec.WebhookPath = wh.Path
		other, err := s.store.WorkflowByWebhookPath(ctx, wh.Path)
		switch {
		case err == nil && other.Name != name:
			return rec, false, fmt.Errorf("webhook path %q is already served by workflow %q; choose another on.webhook.path: %w", wh.Path, other.Name, weft.ErrConflict)
		case err != nil && !errors.Is(err, weft.ErrNotFound):
			return rec, false, err
		}
	}
	stored, changed, err := s.store.PutWorkflow(ctx, rec)
	if err != nil {
		return stored, false, err
	}
	if changed {
		s.engine.InvalidateWorkflow(name)
	}
	if stored.Source == rec.Source {
		s.engine.RememberCompiled(stored, c)
	}
	return stored, changed, nil
}

func (s *server) deleteWorkflow(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	prev, _ := s.store.GetWorkflow(r.Context(), name)
	if err := s.store.DeleteWorkflow(r.Context(), name); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.engine.InvalidateWorkflow(name)
	s.audit(r, "workflow.deleted", name, map[string]any{"version": prev.Version})
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) enableWorkflow(w http.ResponseWriter, r *http.Request) {
	s.setEnabled(w, r, true)
}

func (s *server) disableWorkflow(w http.ResponseWriter, r *http.Request) {
	s.setEnabled(w, r, false)
}

// setEnabled rewrites the document's `enabled:` key and stores the result
// as a new version.
func (s *server) setEnabled(w http.ResponseWriter, r *http.Request, on bool) {
	ctx := r.Context()
	name := r.PathValue("name")
	rec, err := s.store.GetWorkflow(ctx, name)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	src, err := setEnabledKey([]byte(rec.Source), on)
	if err != nil {
		writeError(w, r, s.log, fmt.Errorf("rewriting enabled: in workflow %q: %w", name, err))
		return
	}
	c, err := workflow.Parse(docFile(name, isJSON("", src)), src, s.reg)
	if err != nil {
		// The stored version does not compile any more: the user must PUT a
		// fixed document; report its problems.
		writeError(w, r, s.log, err)
		return
	}
	if c.Workflow.IsEnabled() != on {
		writeError(w, r, s.log, fmt.Errorf("rewriting enabled: in workflow %q did not take effect", name))
		return
	}
	stored, changed, err := s.put(ctx, name, src, c)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if changed {
		action := "workflow.disabled"
		if on {
			action = "workflow.enabled"
		}
		s.audit(r, action, name, map[string]any{"version": stored.Version})
	}
	writeJSON(w, http.StatusOK, workflowView{WorkflowRecord: stored, Workflow: c.Workflow, Changed: &changed})
}

func nameDiagnostic(file string, line, col int, msg string) workflow.Diagnostics {
	return workflow.Diagnostics{{File: file, Line: line, Column: col, Message: msg}}
}
