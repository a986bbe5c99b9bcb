package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// onErrorRef is an on_error that names a workflow not among the files
// checked together.
type onErrorRef struct {
	doc    checkedDoc
	target string
}

// unresolvedOnError lists the on_error targets that are not among docs.
// weft validate only sees the files it is given, so a target that lives on
// the server is a warning, never an error: the workflow may be applied
// separately. weft apply asks the server about these.
func unresolvedOnError(docs []checkedDoc) []onErrorRef {
	names := map[string]bool{}
	for _, d := range docs {
		if d.compiled != nil {
			names[d.compiled.Workflow.Name] = true
		}
	}
	var out []onErrorRef
	for _, d := range docs {
		if d.compiled == nil || d.compiled.Workflow.OnError == "" || names[d.compiled.Workflow.OnError] {
			continue
		}
		out = append(out, onErrorRef{doc: d, target: d.compiled.Workflow.OnError})
	}
	return out
}

// warn prints the reference as file:line:col: warning: message.
func (r onErrorRef) warn(w io.Writer, why string) {
	p := r.doc.compiled.OnErrorPos
	fmt.Fprintf(w, "%s:%d:%d: warning: on_error names workflow %q, %s; until it exists a failure of %q starts no handler\n",
		r.doc.path, p.Line, p.Column, r.target, why, r.doc.compiled.Workflow.Name)
}

// warnMissingOnError asks the server whether each unresolved on_error
// target exists and warns about those it does not have.
func warnMissingOnError(ctx context.Context, w io.Writer, c *apiClient, refs []onErrorRef) error {
	for _, r := range refs {
		_, err := c.do(ctx, http.MethodGet, "/api/v1/workflows/"+url.PathEscape(r.target), "", nil, nil)
		var ae *apiError
		switch {
		case err == nil:
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			r.warn(w, "which the server does not have")
		default:
			return fmt.Errorf("checking on_error workflow %q: %w", r.target, err)
		}
	}
	return nil
}
