// Package jq provides the jq step: reshape JSON with a jq program
// (github.com/itchyny/gojq), run under a time limit and the limits of
// limits.go, so that neither a runaway program nor hostile data can hold a
// worker or exhaust the process's memory.
package jq

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/itchyny/gojq"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/expr"
	"github.com/weftworks/weft/step"
)

// maxResults bounds how many values a program may emit.
const maxResults = 10000

// Register adds the jq step type to reg.
func Register(reg *step.Registry) error {
	spec := Spec()
	if err := reg.Add(spec, &runner{spec: spec}); err != nil {
		return fmt.Errorf("registering jq: %w", err)
	}
	return nil
}

// Spec is the jq step's spec.
func Spec() step.Spec {
	return step.Spec{
		Type: "jq", Title: "jq", Category: step.CategoryCore, Pure: true,
		Description: "Runs a jq program on a JSON value and returns its result: the right tool for reshaping deep API answers " +
			"(select, map, group, flatten) when `transform` gets long. The program runs with a time limit and memory limits " +
			"(5,000,000 instructions, 16 MiB per string, 2,000,000 elements per built array, 256 MiB built per run, 64 MiB of " +
			"result as JSON); a program that would pass one fails with code `jq_limit` before it allocates. `$vars` makes " +
			"extra values available as jq variables.",
		Fields: []step.Field{
			{Name: "program", Type: step.String, Required: true, Example: "[.items[] | select(.status == \"open\") | {id, total: .amount}]",
				Description: "The jq program."},
			{Name: "input", Type: step.Any, Required: true, Example: "{{ steps.fetch.output.body }}",
				Description: "The value the program reads as `.`."},
			{Name: "vars", Type: step.Object, Example: map[string]any{"min": 100},
				Description: "Variables, name to value, read in the program as $name."},
			{Name: "all", Type: step.Boolean, Default: false,
				Description: "Return every value the program emits as a list; by default the first one (null if none)."},
			{Name: "timeout", Type: step.Duration, Default: "5s",
				Description: "Time limit of the program."},
		},
		Output: "The program's first result (or, with `all`, the list of its results).",
		Example: `- id: open_orders
  uses: jq
  with:
    input: "{{ steps.fetch.output.body }}"
    program: '[.orders[] | select(.total >= $min) | {id, customer: .customer.email}]'
    vars: { min: 100 }
`,
	}
}

type runner struct{ spec step.Spec }

var _ step.Handler = (*runner)(nil)

func (r *runner) Run(ctx context.Context, req *step.Request) (step.Result, error) {
	in := input.New(&r.spec, req.With)
	src, err := in.String("program")
	if err != nil {
		return step.Result{}, err
	}
	q, err := gojq.Parse(src)
	if err != nil {
		return step.Result{}, input.Invalid("program", "%v", err)
	}
	var names []string
	var values []any
	if v, ok, _ := in.Value("vars"); ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			return step.Result{}, input.Invalid("vars", "must be an object")
		}
		for _, k := range input.SortedKeys(m) {
			names = append(names, "$"+k)
			values = append(values, normalize(m[k]))
		}
	}
	if q, err = guardProgram(q); err != nil {
		return step.Result{}, err
	}
	b := &budget{}
	code, err := gojq.Compile(q, append(guardOptions(b), gojq.WithVariables(names))...)
	if err != nil {
		return step.Result{}, input.Invalid("program", "%v", err)
	}
	timeout, err := in.Duration("timeout")
	if err != nil {
		return step.Result{}, err
	}
	all, err := in.Bool("all")
	if err != nil {
		return step.Result{}, err
	}
	data, _, _ := in.Value("input")
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	iter := code.RunWithContext(&countingContext{Context: ctx, b: b}, normalize(data), values...)
	var out []any
	size := 0
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			if b.err != nil || errors.Is(err, ErrMemoryBudget) {
				return step.Result{}, limitFailure(b, err)
			}
			if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				return step.Result{}, step.Errorf("timeout", "jq: the program ran longer than %s", timeout)
			}
			return step.Result{}, step.Errorf("jq", "jq: %s", clip(err.Error()))
		}
		// What the step returns is stored and encoded as JSON: bound it as
		// JSON (values may share parts, so their memory says little).
		size += expr.EncodedSize(v, MaxOutputBytes-size)
		if size > MaxOutputBytes {
			return step.Result{}, limitFailure(b, b.fail(refuse("the result would be more than %d bytes as JSON (the limit)", MaxOutputBytes)))
		}
		out = append(out, v)
		if !all {
			break
		}
		if len(out) > maxResults {
			return step.Result{}, step.Errorf("jq", "jq: the program emitted more than %d values", maxResults)
		}
	}
	if ctx.Err() != nil {
		return step.Result{}, step.Errorf("timeout", "jq: the program ran longer than %s", timeout)
	}
	if all {
		if out == nil {
			out = []any{}
		}
		return step.Result{Output: out}, nil
	}
	if len(out) == 0 {
		return step.Result{Output: nil}, nil
	}
	return step.Result{Output: out[0]}, nil
}

// limitFailure is the step error of a run stopped by a limit.
func limitFailure(b *budget, err error) error {
	if b.err != nil {
		err = b.err
	}
	return step.Errorf("jq_limit", "jq: %w", err)
}

// clip shortens an error message: error(.) can carry a whole input value,
// and a step's error is stored, logged and shown.
func clip(msg string) string {
	const most = 1024
	if len(msg) <= most {
		return msg
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + fmt.Sprintf("… (%d more bytes)", len(msg)-cut)
}

// normalize turns Go values from expressions into the JSON-like types gojq
// accepts (map[string]any, []any, float64, int, string, bool, nil).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case int64:
		return int(x)
	case int32:
		return int(x)
	case float32:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}
