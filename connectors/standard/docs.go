package standard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/weftworks/weft/step"
)

// IndexFile is the name of the index page among GenerateDocs' files.
const IndexFile = "README.md"

const generatedNote = "<!-- Generated from the step specs by `go test ./connectors/standard -update`. Do not edit. -->\n\n"

// GenerateDocs renders one Markdown page per registered step type
// ("<type>.md") and an index (IndexFile), keyed by file name. The pages are
// meant for docs/steps/.
func GenerateDocs(reg *step.Registry) map[string][]byte {
	specs := reg.Specs()
	files := make(map[string][]byte, len(specs)+1)
	for _, s := range specs {
		files[s.Type+".md"] = page(s)
	}
	files[IndexFile] = index(specs)
	return files
}

func index(specs []step.Spec) []byte {
	var b bytes.Buffer
	b.WriteString(generatedNote)
	b.WriteString("# Step types\n\nEvery step in a workflow names its type with `uses:`. These are the built-in types.\n")
	category := ""
	for _, s := range specs {
		if s.Category != category {
			category = s.Category
			fmt.Fprintf(&b, "\n## %s\n\n| Type | Title | Summary |\n| --- | --- | --- |\n", category)
		}
		fmt.Fprintf(&b, "| [`%s`](%s.md) | %s | %s |\n", s.Type, s.Type, cell(s.Title), cell(firstSentence(s.Description)))
	}
	return b.Bytes()
}

func page(s step.Spec) []byte {
	var b bytes.Buffer
	b.WriteString(generatedNote)
	fmt.Fprintf(&b, "# `%s` — %s\n\n%s\n\n", s.Type, s.Title, s.Description)
	fmt.Fprintf(&b, "Category: %s", s.Category)
	if s.Pure {
		b.WriteString(" · pure (no side effects; may run again after a crash)")
	}
	if len(s.Auth) > 0 {
		fmt.Fprintf(&b, " · credentials: %s", strings.Join(s.Auth, ", "))
	}
	b.WriteString("\n\n## Fields\n\n")
	switch {
	case len(s.Fields) == 0 && s.AllowExtra:
		b.WriteString("No declared fields: every key under `with:` is allowed.\n")
	case len(s.Fields) == 0:
		b.WriteString("None.\n")
	default:
		b.WriteString("| Field | Type | Required | Default | Values | Secret | Description |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, f := range s.Fields {
			fieldRows(&b, f, f.Name)
		}
		if s.AllowExtra {
			b.WriteString("\nKeys not listed here are allowed too.\n")
		}
		if len(s.OneOf) > 0 {
			fmt.Fprintf(&b, "\nGive exactly one of %s (`weft validate` refuses none or several).\n", quoteList(s.OneOf))
		}
	}
	if s.Output != "" {
		fmt.Fprintf(&b, "\n## Output\n\n%s\n", s.Output)
	}
	if s.Example != "" {
		fmt.Fprintf(&b, "\n## Example\n\n```yaml\n%s\n```\n", strings.TrimRight(s.Example, "\n"))
	}
	return b.Bytes()
}

func fieldRows(b *bytes.Buffer, f step.Field, path string) {
	values := make([]string, len(f.Enum))
	for i, e := range f.Enum {
		values[i] = "`" + e + "`"
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s | %s |\n",
		path, typeName(f), yesNo(f.Required), literal(f.Default), strings.Join(values, ", "), yesNo(f.Secret), cell(f.Description))
	for _, sub := range f.Fields {
		fieldRows(b, sub, path+"."+sub.Name)
	}
}

func typeName(f step.Field) string {
	if f.Type == step.Array && f.Items != nil {
		return "array of " + string(f.Items.Type)
	}
	return string(f.Type)
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return ""
}

// literal writes a default as users would type it in YAML.
func literal(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		if s == "" {
			return `""`
		}
		return "`" + s + "`"
	}
	j, err := json.Marshal(v)
	if err != nil {
		return cell(fmt.Sprint(v))
	}
	return "`" + cell(string(j)) + "`"
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// firstSentence is the text up to the first ". " (or all of it).
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// quoteList writes names as `a`, `b` or `c`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
