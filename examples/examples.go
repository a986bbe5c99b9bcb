// Package examples holds the example workflows shipped with Weft. They are
// embedded so the console's template gallery (GET /api/v1/templates) offers
// the same files a user finds in the repository; examples_test.go keeps
// each one valid and runs them.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml
var files embed.FS

// Template is one example workflow: its name and description as the file
// declares them, the file name and the whole YAML.
type Template struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	File        string `json:"file"`
	YAML        string `json:"yaml"`
}

// Templates returns every example, ordered by name.
func Templates() ([]Template, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing examples: %w", err)
	}
	out := make([]Template, 0, len(names))
	for _, f := range names {
		src, err := files.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading example %s: %w", f, err)
		}
		var head struct {
			Name        string `yaml:"name"`
			Description string `yaml:"description"`
		}
		if err := yaml.Unmarshal(src, &head); err != nil {
			return nil, fmt.Errorf("example %s: %w", f, err)
		}
		if head.Name == "" {
			head.Name = strings.TrimSuffix(f, ".yaml")
		}
		out = append(out, Template{Name: head.Name, Description: head.Description, File: f, YAML: string(src)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
