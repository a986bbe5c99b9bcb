// Package expr wraps github.com/expr-lang/expr for Weft's `{{ … }}`
// templates: compile once when a workflow is saved, evaluate many times with
// limits (memory budget, node count), never with access to the host.
package expr

import (
	"context"
	"errors"
)

// Scope is the data an expression sees: trigger, steps, execution, workflow,
// env (allowlisted variables only), and item/index inside for_each.
type Scope map[string]any

// Template is a compiled string that may contain `{{ … }}`. A template that is
// exactly one `{{ }}` keeps the type of its value; otherwise the result is the
// string with every `{{ }}` interpolated.
type Template struct {
	src string
}

// Compile compiles a template. Errors are *Error with the byte offset of the
// problem inside src.
func Compile(src string) (*Template, error) {
	return nil, errors.New("expr.Compile: not implemented")
}

// Eval evaluates the template.
func (t *Template) Eval(ctx context.Context, s Scope) (any, error) {
	return nil, errors.New("expr.Eval: not implemented")
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// Value is a compiled JSON-like tree (maps, lists, scalars) in which every
// string is a Template, as found under a step's `with:`.
type Value struct{}

// CompileValue compiles every string inside v (map[string]any, []any,
// scalars). Errors are *ValueError naming the path of the bad string.
func CompileValue(v any) (*Value, error) {
	return nil, errors.New("expr.CompileValue: not implemented")
}

// Eval evaluates every template in the tree and returns plain Go values
// (map[string]any, []any, string, float64, int, bool, nil).
func (v *Value) Eval(ctx context.Context, s Scope) (any, error) {
	return nil, errors.New("expr.Value.Eval: not implemented")
}

// Error is a compile or evaluation error with the byte offset inside the
// template source where it was found (-1 if unknown), so callers can turn it
// into file:line:col.
type Error struct {
	Offset  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// ValueError is an Error found at Path inside a Value (keys as string, list
// indexes as int).
type ValueError struct {
	Path []any
	Err  *Error
}

func (e *ValueError) Error() string { return e.Err.Error() }
func (e *ValueError) Unwrap() error { return e.Err }
