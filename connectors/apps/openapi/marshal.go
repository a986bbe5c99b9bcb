package openapi

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/weftworks/weft/connectors/apps"
)

// Marshal writes an app spec as app.yaml, the file a bundled connector
// keeps, with a header saying where it came from.
func Marshal(a *apps.App, source string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported from %s by `weft connectors import`; review and edit freely.\n", source)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("writing app %s as YAML: %w", a.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing app %s as YAML: %w", a.Name, err)
	}
	return b.Bytes(), nil
}
