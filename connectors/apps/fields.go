package apps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/weftworks/weft/step"
)

// Defaults of the inputs every operation step has.
const (
	defaultMaxPages = 100
	maxMaxPages     = 1000
)

// StepSpec is the step spec of one operation: its inputs as fields (path,
// query, header and body inputs side by side under `with:`), plus
// connection, timeout and, for operations that page, paginate and max_pages.
func (a *App) StepSpec(op *Operation) step.Spec {
	fields := []step.Field{{
		Name: "connection", Type: step.String, Default: a.Name, Literal: "name the connection in the file; it is checked when the workflow is saved",
		Description: fmt.Sprintf("Name of the %s connection (a credential, see docs/connectors.md) the call authenticates with; its base URL, rate limits and retry manners apply.", a.Title),
	}}
	for _, part := range []*Schema{op.Inputs.Path, op.Inputs.Query, op.Inputs.Header, op.Inputs.Body} {
		if part == nil {
			continue
		}
		for _, name := range part.names() {
			f := part.Properties[name].field(name)
			f.Required = slices.Contains(part.Required, name)
			fields = append(fields, f)
		}
	}
	if op.Paginate != nil {
		fields = append(fields,
			step.Field{Name: "paginate", Type: step.Any, Example: "all",
				Description: "Follow pages: `all`, or a number of pages. The output is then {items, pages, more}: the items of every page, how many pages were read, and whether more were left. Each page is recorded before the next is asked for, so a crash resumes at the next page. Without it only the first page is read and the output is the provider's answer."},
			step.Field{Name: "max_pages", Type: step.Integer, Default: defaultMaxPages,
				Description: fmt.Sprintf("With paginate: all, fail with code pagination_limit when the provider still has more after this many pages (at most %d).", maxMaxPages)})
	}
	fields = append(fields, step.Field{Name: "timeout", Type: step.Duration, Default: "30s", Description: "Limit for each HTTP exchange (one page)."})

	desc := op.Description
	if desc != "" && !strings.HasSuffix(desc, ".") {
		desc += "."
	}
	if desc != "" {
		desc += " "
	}
	desc += fmt.Sprintf("Calls `%s %s` of the %s API", op.Method, op.Path, a.Title)
	if a.Docs != "" {
		desc += " (" + a.Docs + ")"
	}
	desc += "."
	switch {
	case op.Idempotency != nil && op.Idempotency.Header != "":
		desc += fmt.Sprintf(" The step run's stable key goes in the %s header, so a retry after a crash never takes effect twice.", op.Idempotency.Header)
	case op.Idempotency != nil && op.Idempotency.Safe:
		desc += " Safe to repeat, so failed attempts are retried."
	case op.Method == "POST" || op.Method == "PATCH":
		desc += " Not idempotent: a network failure or an error status fails the step instead of retrying, so it never takes effect twice."
	}
	out := op.OutputDoc
	if out == "" {
		out = "The provider's JSON answer"
		if op.Output != "" {
			out += fmt.Sprintf(", its `%s` part", op.Output)
		}
		out += "."
	}
	kinds := make([]string, 0, len(a.Auth))
	for _, au := range a.Auth {
		kinds = append(kinds, au.Kind)
	}
	return step.Spec{
		Type: a.Name + "." + op.ID, Title: a.Title + ": " + op.Title, Description: desc,
		Category: step.CategoryApps, App: a.Name, Fields: fields, Output: out, Auth: kinds,
		Example: a.example(op, fields),
	}
}

// field converts a JSON Schema property to a step field.
func (s *Schema) field(name string) step.Field {
	f := step.Field{Name: name, Description: s.Description, Default: s.Default, Example: s.Example, Enum: s.Enum, Secret: s.Secret}
	switch s.Type {
	case "string":
		f.Type = step.String
	case "integer":
		f.Type = step.Integer
	case "number":
		f.Type = step.Number
	case "boolean":
		f.Type = step.Boolean
	case "object":
		f.Type = step.Object
		if len(s.Properties) > 0 {
			for _, sub := range s.names() {
				sf := s.Properties[sub].field(sub)
				sf.Required = slices.Contains(s.Required, sub)
				f.Fields = append(f.Fields, sf)
			}
		}
	case "array":
		f.Type = step.Array
		if s.Items != nil {
			it := s.Items.field("")
			f.Items = &it
		}
	default:
		f.Type = step.Any
	}
	return f
}

// example writes the step as it appears in a workflow, with the required
// inputs (and their examples).
func (a *App) example(op *Operation, fields []step.Field) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- id: %s\n  uses: %s.%s\n  with:\n    connection: %s\n", op.ID, a.Name, op.ID, a.Name)
	for _, f := range fields {
		if !f.Required {
			continue
		}
		v := f.Example
		if v == nil {
			v = "…"
		}
		fmt.Fprintf(&b, "    %s: %s\n", f.Name, yamlScalar(v))
	}
	if op.Paginate != nil {
		b.WriteString("    paginate: all\n")
	}
	return b.String()
}

func yamlScalar(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	default:
		return fmt.Sprint(x)
	}
}
