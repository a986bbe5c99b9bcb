// Package workflow reads workflow documents (YAML or JSON), validates them
// against the step registry and compiles every expression once, so that the
// engine only evaluates. Every problem is reported as file:line:col: message.
package workflow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
)

// Diagnostic is one problem in a workflow file.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Message)
}

// Diagnostics is every problem found in a document; it is the error Parse
// returns for an invalid document.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is(err, weft.ErrInvalid) hold.
func (ds Diagnostics) Unwrap() error { return weft.ErrInvalid }

// Compiled is a validated workflow ready to run.
type Compiled struct {
	Workflow *weft.Workflow
	// Source is the document as given.
	Source []byte
	// Nodes are the steps in file order.
	Nodes []*Node
	ByID  map[string]*Node
}

// Node is one compiled step.
type Node struct {
	Step  *weft.Step
	Index int
	Spec  step.Spec
	// Needs are the resolved dependencies: the `needs:` list, or the step
	// before it when `needs:` is absent (none for the first step).
	Needs []*Node
	// With is the compiled `with:` block (never nil; empty map if absent).
	With *expr.Value
	// If and ForEach are nil when the step has none.
	If      *expr.Template
	ForEach *expr.Template
}

// Parse parses, validates and compiles a workflow document. filename is used
// in diagnostics only. On failure the error is Diagnostics.
func Parse(filename string, src []byte, reg *step.Registry) (*Compiled, error) {
	return nil, errors.New("workflow.Parse: not implemented")
}
