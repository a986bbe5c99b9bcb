package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/weftworks/weft/workflow"
)

func runApply(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "apply", "apply FILE|DIR… [--server URL] [--token T]\n\nValidates the workflow files locally, then creates or replaces each on the server (PUT /api/v1/workflows/{name}).")
	var cf clientFlags
	cf.register(fs)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return ExitError{Code: 2}
	}
	docs, problems, err := checkWorkflowFiles(env.Stdout, pos)
	if err != nil {
		return err
	}
	if problems > 0 {
		fmt.Fprintf(env.Stderr, "%d problem(s): nothing was applied; fix them and run weft apply again\n", problems)
		return ExitError{Code: 1}
	}
	c, err := cf.client(env)
	if err != nil {
		return err
	}
	failed := 0
	for _, d := range docs {
		name := d.compiled.Workflow.Name
		var rec struct {
			Version int64 `json:"version"`
			Changed *bool `json:"changed"`
		}
		status, err := c.do(ctx, http.MethodPut, "/api/v1/workflows/"+url.PathEscape(name), contentType(d.path), d.src, &rec)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				return err // the server is unreachable: the other files would fail the same way
			}
			failed++
			printServerError(env, d.path, ae)
			continue
		}
		verb := "updated"
		switch {
		case status == http.StatusCreated:
			verb = "created"
		case rec.Changed != nil && !*rec.Changed:
			verb = "unchanged"
		}
		fmt.Fprintf(env.Stdout, "%-9s %s (version %d, %s)\n", verb, name, rec.Version, d.path)
	}
	if err := warnMissingOnError(ctx, env.Stderr, c, unresolvedOnError(docs)); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "%d of %d workflow(s) were not applied\n", failed, len(docs))
		return ExitError{Code: 1}
	}
	return nil
}

// printServerError shows a server's answer about a file: its diagnostics as
// file:line:col: message with the local path, else the message.
func printServerError(env *Env, path string, ae *apiError) {
	var diags []workflow.Diagnostic
	if len(ae.Details) > 0 && json.Unmarshal(ae.Details, &diags) == nil && len(diags) > 0 {
		for _, d := range diags {
			d.File = path
			fmt.Fprintln(env.Stderr, d.String())
		}
		return
	}
	fmt.Fprintf(env.Stderr, "%s: %v\n", path, ae)
}
