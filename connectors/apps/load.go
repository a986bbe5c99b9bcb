package apps

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"

	"go.yaml.in/yaml/v3"
)

// bundled holds the spec of every app shipped in the binary.
//
//go:embed */app.yaml
var bundled embed.FS

// Bundled returns the apps shipped in the binary, validated, by name.
func Bundled() ([]App, error) { return LoadFS(bundled) }

// LoadFS reads every <app>/app.yaml of fsys and validates it.
func LoadFS(fsys fs.FS) ([]App, error) {
	files, err := fs.Glob(fsys, "*/app.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing app specs: %w", err)
	}
	sort.Strings(files)
	out := make([]App, 0, len(files))
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		a, err := Parse(f, raw)
		if err != nil {
			return nil, err
		}
		if dir := path.Dir(f); dir != a.Name {
			return nil, fmt.Errorf("%s: app name %q differs from its folder %q; rename one", f, a.Name, dir)
		}
		if seen[a.Name] {
			return nil, fmt.Errorf("%s: app %q declared twice", f, a.Name)
		}
		seen[a.Name] = true
		out = append(out, a)
	}
	return out, nil
}

// Parse decodes and validates one app spec; file names it in errors.
func Parse(file string, raw []byte) (App, error) {
	var a App
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		return App{}, fmt.Errorf("%s: %w", file, err)
	}
	if err := a.Validate(); err != nil {
		return App{}, fmt.Errorf("%s: %w", file, err)
	}
	return a, nil
}

// schemaKeys are the JSON Schema keys an input schema may use.
var schemaKeys = []string{"type", "description", "properties", "required", "items", "enum", "default", "example", "secret", "format", "wire"}

// UnmarshalYAML decodes a schema and remembers the order its properties
// were written in.
func (s *Schema) UnmarshalYAML(n *yaml.Node) error {
	type plain Schema
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Schema(p)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(schemaKeys, k.Value) {
			// A plain flow scalar with a comma splits into a stray key:
			// refuse it rather than silently cut the text.
			return fmt.Errorf("line %d: schema key %q is not one of %v (quote text that holds a comma)", k.Line, k.Value, schemaKeys)
		}
		if n.Content[i].Value != "properties" || n.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		props := n.Content[i+1].Content
		for j := 0; j+1 < len(props); j += 2 {
			s.Order = append(s.Order, props[j].Value)
		}
	}
	return nil
}

// names returns the schema's property names in written order (sorted when
// the schema came from elsewhere than YAML).
func (s *Schema) names() []string {
	if s == nil {
		return nil
	}
	if len(s.Order) == len(s.Properties) {
		return s.Order
	}
	out := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
