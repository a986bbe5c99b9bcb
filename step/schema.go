package step

// templatePattern matches a string holding a `{{ … }}` expression. Any input
// may be given as an expression, whose type is only known when it runs, so
// the schema of a non-string field also accepts such a string.
const templatePattern = `\{\{.*\}\}`

// JSONSchema returns the JSON Schema (draft 2020-12) of the step's `with:`
// block: one property per field, required fields, enums and defaults, with
// additionalProperties false unless the spec allows extra keys.
func (s Spec) JSONSchema() map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range s.Fields {
		props[f.Name] = f.JSONSchema()
		if f.Required {
			required = append(required, f.Name)
		}
	}
	out := map[string]any{
		"type":                 "object",
		"properties":           props,
		"additionalProperties": s.AllowExtra,
	}
	if s.Title != "" {
		out["title"] = s.Title
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// JSONSchema returns the JSON Schema of one field's value.
func (f Field) JSONSchema() map[string]any {
	typed := map[string]any{}
	switch f.Type {
	case String:
		typed["type"] = "string"
		if len(f.Enum) > 0 {
			typed["enum"] = f.Enum
		}
	case Number:
		typed["type"] = "number"
	case Integer:
		typed["type"] = "integer"
	case Boolean:
		typed["type"] = "boolean"
	case Duration:
		typed["type"] = "string"
		typed["pattern"] = `^([0-9]+d|([0-9.]+(ns|us|µs|ms|s|m|h))+)$`
	case Object:
		typed["type"] = "object"
		if f.Fields != nil {
			sub := Spec{Fields: f.Fields}.JSONSchema()
			typed["properties"] = sub["properties"]
			typed["additionalProperties"] = false
			if r, ok := sub["required"]; ok {
				typed["required"] = r
			}
		}
	case Array:
		typed["type"] = "array"
		if f.Items != nil {
			typed["items"] = f.Items.JSONSchema()
		}
	}
	var out map[string]any
	switch {
	case f.Type == Any || f.Type == "":
		out = map[string]any{}
	case f.Literal != "" && f.Type == String:
		// Written out: no template anywhere in the text.
		typed["not"] = map[string]any{"pattern": `\{\{`}
		out = typed
	case f.Literal != "":
		out = typed // no template may stand for the whole value
	case f.Type == String && len(f.Enum) == 0:
		out = typed
	default:
		out = map[string]any{"anyOf": []any{typed, map[string]any{"type": "string", "pattern": templatePattern}}}
	}
	if f.Description != "" {
		out["description"] = f.Description
	}
	if f.Default != nil {
		out["default"] = f.Default
	}
	if f.Example != nil {
		out["examples"] = []any{f.Example}
	}
	return out
}
