package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/workflow"
)

func runValidate(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "validate", "validate FILE|DIR…\n\nChecks workflow files (.yaml, .yml, .json; directories recursively) and prints every problem as file:line:col: message.\nAn on_error naming a workflow that is not among the files given is a warning (exit status 0).\nWorks offline: the tools and arguments of mcp.call steps are checked against the server's stored tool lists by weft apply (or weft serve --workflows), not here.")
	var connectors string
	fs.stringVar(&connectors, "connectors", "WEFT_CONNECTORS", "", "directory of imported app connectors whose steps the files may use (as for serve)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return ExitError{Code: 2}
	}
	docs, problems, err := checkWorkflowFilesWith(env.Stdout, pos, connectors)
	if err != nil {
		return err
	}
	if problems > 0 {
		fmt.Fprintf(env.Stderr, "%d problem(s) in %d file(s)\n", problems, len(docs))
		return ExitError{Code: 1}
	}
	for _, r := range unresolvedOnError(docs) {
		r.warn(env.Stdout, "which is not among the files given (weft apply checks the server)")
	}
	fmt.Fprintf(env.Stdout, "%d %s OK\n", len(docs), plural(len(docs), "file", "files"))
	return nil
}

// checkedDoc is one workflow file that was read and parsed.
type checkedDoc struct {
	path     string
	src      []byte
	compiled *workflow.Compiled // nil when the file has problems
}

// checkWorkflowFiles parses every workflow file under paths with the
// standard step registry, printing each problem to w as file:line:col:
// message, with the path as the user wrote it. It returns the files and the
// number of problems; err is for arguments that name no files at all.
func checkWorkflowFiles(w io.Writer, paths []string) ([]checkedDoc, int, error) {
	return checkWorkflowFilesWith(w, paths, "")
}

// checkWorkflowFilesWith is checkWorkflowFiles with the imported app
// connectors of a connectors directory registered too.
func checkWorkflowFilesWith(w io.Writer, paths []string, connectors string) ([]checkedDoc, int, error) {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		return nil, 0, fmt.Errorf("registering the standard step types: %w", err)
	}
	if _, err := loadImportedApps(reg, connectors, slog.New(slog.DiscardHandler)); err != nil {
		return nil, 0, err
	}
	files, err := workflowFiles(paths)
	if err != nil {
		return nil, 0, fmt.Errorf("%w (give workflow files or directories that hold them)", err)
	}
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("no workflow files (.yaml, .yml, .json) in %s", strings.Join(paths, ", "))
	}
	var (
		docs     []checkedDoc
		problems int
		names    = map[string]string{} // workflow name → first file
	)
	for _, path := range files {
		doc := checkedDoc{path: path}
		doc.src, err = os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(w, "%s:1:1: cannot read the file: %v\n", path, errors.Unwrap(err))
			problems++
			docs = append(docs, doc)
			continue
		}
		c, err := workflow.Parse(path, doc.src, reg)
		if err != nil {
			var diags workflow.Diagnostics
			if !errors.As(err, &diags) {
				diags = workflow.Diagnostics{{File: path, Line: 1, Column: 1, Message: err.Error()}}
			}
			for _, d := range diags {
				d.File = path
				fmt.Fprintln(w, d.String())
			}
			problems += len(diags)
			docs = append(docs, doc)
			continue
		}
		name := c.Workflow.Name
		if first, dup := names[name]; dup {
			fmt.Fprintf(w, "%s:1:1: workflow name %q is also used by %s; names must be unique (the later file would replace the earlier one)\n", path, name, first)
			problems++
			docs = append(docs, doc)
			continue
		}
		names[name] = path
		doc.compiled = c
		docs = append(docs, doc)
	}
	return docs, problems, nil
}

// contentType is what a workflow file is sent as.
func contentType(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return "application/json"
	}
	return "application/yaml"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
