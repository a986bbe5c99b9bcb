package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/workflow"
)

// credentialsOf lists the credentials a workflow's steps name literally
// (`credential: name`), sorted; a templated name is decided at run time.
func credentialsOf(w *weft.Workflow) []string {
	var out []string
	for _, st := range w.Steps {
		if name, ok := st.With["credential"].(string); ok && name != "" && !strings.Contains(name, "{{") && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// auditSaved records a new version, and each credential the new version
// uses that the previous one did not ("credential.used").
func (s *server) auditSaved(r *http.Request, rec weft.WorkflowRecord, c *workflow.Compiled, prev weft.WorkflowRecord, created bool) {
	if s.cfg.Audit == nil {
		return
	}
	creds := credentialsOf(c.Workflow)
	s.audit(r, "workflow.saved", rec.Name, map[string]any{"version": rec.Version, "enabled": rec.Enabled, "created": created, "credentials": creds})
	var before []string
	if !created {
		if pc, err := workflow.Parse(docFile(prev.Name, isJSON("", []byte(prev.Source))), []byte(prev.Source), s.reg); err == nil {
			before = credentialsOf(pc.Workflow)
		}
	}
	for _, name := range creds {
		if !slices.Contains(before, name) {
			s.audit(r, "credential.used", name, map[string]any{"workflow": rec.Name, "version": rec.Version})
		}
	}
}
