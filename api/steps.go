package api

import (
	"net/http"

	"github.com/weftworks/weft/step"
)

// stepView is a catalog entry: the spec plus the JSON Schema of its with:.
type stepView struct {
	step.Spec
	Schema map[string]any `json:"schema"`
}

func (s *server) listSteps(w http.ResponseWriter, r *http.Request) {
	specs := s.reg.Specs()
	items := make([]stepView, len(specs))
	for i, sp := range specs {
		items[i] = stepView{Spec: sp, Schema: withSchema(sp)}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
}

// withSchema is the JSON Schema (2020-12) of a step's with: block, built
// from the spec's fields. Any value may also be written as a {{ }}
// expression, evaluated at run time; fields that are not strings say so
// with anyOf, so editors accept both.
func withSchema(sp step.Spec) map[string]any {
	sch := objectSchema(sp.Fields, sp.AllowExtra)
	sch["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	sch["title"] = sp.Type
	if sp.Description != "" {
		sch["description"] = sp.Description
	}
	return sch
}

// expressionSchema matches a string holding a {{ }} expression.
var expressionSchema = map[string]any{"type": "string", "pattern": `\{\{.*\}\}`}

func objectSchema(fields []step.Field, extra bool) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fields {
		props[f.Name] = fieldSchema(f)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	sch := map[string]any{"type": "object", "properties": props, "additionalProperties": extra}
	if len(required) > 0 {
		sch["required"] = required
	}
	return sch
}

func fieldSchema(f step.Field) map[string]any {
	var sch map[string]any
	switch f.Type {
	case step.String:
		sch = map[string]any{"type": "string"}
	case step.Number, step.Integer, step.Boolean:
		sch = map[string]any{"type": string(f.Type)}
	case step.Duration:
		sch = map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^[0-9]+d$`}
	case step.Object:
		if len(f.Fields) > 0 {
			sch = objectSchema(f.Fields, false)
		} else {
			sch = map[string]any{"type": "object"}
		}
	case step.Array:
		sch = map[string]any{"type": "array"}
		if f.Items != nil {
			sch["items"] = fieldSchema(*f.Items)
		}
	default: // step.Any
		sch = map[string]any{}
	}
	if len(f.Enum) > 0 {
		sch["enum"] = f.Enum
	}
	if f.Type != step.Any && f.Type != "" && (f.Type != step.String || len(f.Enum) > 0) {
		sch = map[string]any{"anyOf": []any{sch, expressionSchema}}
	}
	if f.Description != "" {
		sch["description"] = f.Description
	}
	if f.Default != nil {
		sch["default"] = f.Default
	}
	if f.Example != nil {
		sch["examples"] = []any{f.Example}
	}
	if f.Secret {
		sch["writeOnly"] = true
		sch["x-secret"] = true
	}
	return sch
}
