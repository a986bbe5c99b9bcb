package openapi

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/weftworks/weft/connectors/apps"
)

// Bounds of one schema's conversion that Options do not set.
const (
	maxAllOf = 8   // nesting of allOf merged into one object
	maxEnum  = 100 // enum values kept
	// maxOpNodes bounds the schema nodes described for one operation: a
	// document whose wide schemas refer to each other would otherwise
	// describe width^depth properties. Past it, values are described by
	// their type only.
	maxOpNodes = 2000
)

// schema converts a JSON Schema to the subset an input uses. Nested
// properties are described down to Options.MaxDepth; a recursive schema
// (a $ref cycle) therefore stops there, and deeper values are taken as
// they are.
func (c *converter) schema(ref *openapi3.SchemaRef, depth int) *apps.Schema {
	out := &apps.Schema{}
	if ref == nil || ref.Value == nil {
		return out
	}
	s := ref.Value
	c.opNodes++
	props, required := map[string]*openapi3.SchemaRef{}, []string{}
	c.collect(s, props, &required, 0)
	out.Type = typeOf(s, len(props) > 0)
	out.Description = summary(firstNonEmpty(s.Description, s.Title), 300)
	if s.Format == "password" {
		out.Secret = true
	}
	if out.Type == "string" && len(s.Enum) > 0 && len(s.Enum) <= maxEnum {
		for _, v := range s.Enum {
			if str, ok := v.(string); ok {
				out.Enum = append(out.Enum, str)
			}
		}
	}
	out.Default = matching(out.Type, s.Default)
	out.Example = matching(out.Type, s.Example)
	switch {
	case c.opNodes >= maxOpNodes:
		if !c.opCut {
			c.opCut = true
			c.warnf("%s: its inputs have more than %d schema nodes; deeper values are described by their type only", c.where, maxOpNodes)
		}
	case out.Type == "object" && depth < c.opts.MaxDepth && len(props) > 0:
		names := make([]string, 0, len(props))
		for name, p := range props {
			if p != nil && p.Value != nil && p.Value.ReadOnly {
				continue // the server writes it
			}
			names = append(names, name)
		}
		sort.Strings(names)
		if len(names) > c.opts.MaxProperties {
			c.warnf("%s: a schema with %d properties: only the first %d (by name) are described", c.where, len(names), c.opts.MaxProperties)
			names = names[:c.opts.MaxProperties]
		}
		out.Properties = make(map[string]*apps.Schema, len(names))
		for _, name := range names {
			p := c.schema(props[name], depth+1)
			p.Description = describe(p.Description, name)
			out.Properties[name] = p
			out.Order = append(out.Order, name)
		}
		for _, r := range required {
			if out.Properties[r] != nil && !slices.Contains(out.Required, r) {
				out.Required = append(out.Required, r)
			}
		}
	case out.Type == "array" && depth < c.opts.MaxDepth && s.Items != nil && c.opNodes < maxOpNodes:
		it := c.schema(s.Items, depth+1)
		it.Description = describe(it.Description, "item")
		out.Items = it
	}
	return out
}

// collect gathers the properties of s and of its allOf parts.
func (c *converter) collect(s *openapi3.Schema, props map[string]*openapi3.SchemaRef, required *[]string, depth int) {
	if s == nil || depth > maxAllOf {
		return
	}
	for name, p := range s.Properties {
		if _, ok := props[name]; !ok {
			props[name] = p
		}
	}
	*required = append(*required, s.Required...)
	for _, part := range s.AllOf {
		if part != nil {
			c.collect(part.Value, props, required, depth+1)
		}
	}
}

// typeOf returns the schema's single JSON type, "" when it may be several.
func typeOf(s *openapi3.Schema, hasProps bool) string {
	var types []string
	if s.Type != nil {
		for _, t := range *s.Type {
			if t != "null" {
				types = append(types, t)
			}
		}
	}
	switch {
	case len(types) == 1:
		return types[0]
	case len(types) > 1:
		return ""
	case hasProps:
		return "object"
	case s.Items != nil:
		return "array"
	}
	// oneOf/anyOf of one type (a string or an enum of strings) is that type.
	var alt []string
	for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
		for _, r := range list {
			if r == nil || r.Value == nil {
				return ""
			}
			alt = append(alt, typeOf(r.Value, len(r.Value.Properties) > 0))
		}
	}
	if len(alt) == 0 {
		return ""
	}
	for _, t := range alt[1:] {
		if t != alt[0] {
			return ""
		}
	}
	return alt[0]
}

// matching keeps a default or example only when it is a scalar of the
// schema's type.
func matching(typ string, v any) any {
	switch x := v.(type) {
	case string:
		if typ == "string" {
			return x
		}
	case bool:
		if typ == "boolean" {
			return x
		}
	case float64:
		if typ == "number" || (typ == "integer" && x == float64(int64(x))) {
			if typ == "integer" {
				return int64(x)
			}
			return x
		}
	case int, int64:
		if typ == "integer" || typ == "number" {
			return x
		}
	}
	return nil
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, float64, int, int64:
		return true
	}
	return false
}

// describe returns d, or a description made of the name when d is too
// short for the spec (which asks for ten characters).
func describe(d, name string) string {
	d = strings.TrimSpace(d)
	if len(d) >= 10 {
		return d
	}
	gen := fmt.Sprintf("The %s value", strings.ReplaceAll(name, "_", " "))
	if d != "" {
		gen += ": " + d
	}
	return gen + "."
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
