package api

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// topLevel parses src and returns its root mapping node.
func topLevel(src []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("the document is not valid YAML or JSON: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the document is not a mapping of keys (name:, on:, steps:)")
	}
	return doc.Content[0], nil
}

// lookup returns the key and value nodes of key in mapping m.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// documentName returns the document's top-level name ("" if it has none).
func documentName(src []byte) (string, error) {
	root, err := topLevel(src)
	if err != nil {
		return "", nameDiagnostic("workflow.yaml", 1, 1, err.Error())
	}
	if _, v := lookup(root, "name"); v != nil {
		return v.Value, nil
	}
	return "", nil
}

// checkName requires the document's name: to equal the URL's name. The
// stored source is the body byte-exact, so a missing name is not filled in.
func checkName(file string, src []byte, want string) error {
	root, err := topLevel(src)
	if err != nil {
		return nameDiagnostic(file, 1, 1, err.Error())
	}
	_, v := lookup(root, "name")
	if v == nil {
		return nameDiagnostic(file, root.Line, root.Column, fmt.Sprintf("the document has no name:; add `name: %s` (it must match the name in the URL)", want))
	}
	if v.Value != want {
		return nameDiagnostic(file, v.Line, v.Column, fmt.Sprintf("name %q does not match %q in the URL; rename one of them (to rename a workflow, PUT it under the new name and DELETE the old one)", v.Value, want))
	}
	return nil
}

// setEnabledKey returns src with its top-level `enabled:` set to on,
// changing as few bytes as it can: the value in place, or one inserted line
// (YAML) or member (JSON). When neither is possible it re-encodes the
// document with the YAML library, which keeps comments but may change layout.
func setEnabledKey(src []byte, on bool) ([]byte, error) {
	root, err := topLevel(src)
	if err != nil {
		return nil, err
	}
	val := "false"
	if on {
		val = "true"
	}
	_, v := lookup(root, "enabled")
	if v != nil {
		if v.Kind == yaml.ScalarNode && v.Style == 0 {
			if off, ok := offset(src, v.Line, v.Column); ok && bytes.HasPrefix(src[off:], []byte(v.Value)) {
				out := append([]byte{}, src[:off]...)
				out = append(out, val...)
				return append(out, src[off+len(v.Value):]...), nil
			}
		}
		v.Kind, v.Style, v.Tag, v.Value, v.Content = yaml.ScalarNode, 0, "!!bool", val, nil
		return reencode(root)
	}
	if root.Style&yaml.FlowStyle != 0 {
		// JSON or flow YAML: insert the member right after the opening brace.
		if off, ok := offset(src, root.Line, root.Column); ok && off < len(src) && src[off] == '{' && len(root.Content) > 0 {
			member := `"enabled": ` + val + `, `
			out := append([]byte{}, src[:off+1]...)
			out = append(out, member...)
			return append(out, src[off+1:]...), nil
		}
	} else if nk, nv := lookup(root, "name"); nk != nil && nv.Kind == yaml.ScalarNode && nv.Line == nk.Line && (nv.Style == 0 || nv.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0) {
		// Block YAML: a new line after `name: ...`, at the same indentation.
		if off, ok := offset(src, nk.Line+1, 1); ok {
			line := strings.Repeat(" ", nk.Column-1) + "enabled: " + val + "\n"
			out := append([]byte{}, src[:off]...)
			if off > 0 && src[off-1] != '\n' {
				out = append(out, '\n')
			}
			out = append(out, line...)
			return append(out, src[off:]...), nil
		}
	}
	root.Content = append(root.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "enabled"},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: val})
	return reencode(root)
}

func reencode(root *yaml.Node) ([]byte, error) {
	root.Style &^= yaml.FlowStyle
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encoding the document: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding the document: %w", err)
	}
	return buf.Bytes(), nil
}

// offset converts a 1-based line and (character) column into a byte offset.
// A line one past the last (no trailing newline) maps to len(src).
func offset(src []byte, line, col int) (int, bool) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			if l == line-1 && col == 1 {
				return len(src), true
			}
			return 0, false
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(src) || src[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	return off, true
}
