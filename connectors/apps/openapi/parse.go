package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// parse reads a YAML or JSON document into kin-openapi's model and
// resolves its internal $refs. JSON is decoded by encoding/json and YAML
// converted to JSON first: kin-openapi's own loader reads JSON as YAML,
// which takes seconds on Stripe's 8 MB document. Operations are counted
// before the references are resolved, the step whose cost a hostile
// document could multiply.
func parse(ctx context.Context, doc []byte, maxOps int) (*openapi3.T, error) {
	trimmed := bytes.TrimLeft(doc, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] != '{' {
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return nil, fmt.Errorf("reading the document as YAML: %w", err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("reading the document as YAML: %w (keys must be strings)", err)
		}
		trimmed = j
	}
	// The version and the operations are read first, into plain maps
	// whose values are skipped: that is cheap, and a document with 100 000
	// operations is refused before kin-openapi builds its model.
	var head struct {
		OpenAPI string                                `json:"openapi"`
		Swagger string                                `json:"swagger"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(trimmed, &head); err != nil {
		return nil, fmt.Errorf("reading the document as JSON: %w", err)
	}
	switch {
	case head.Swagger != "":
		return nil, errors.New("a Swagger 2.0 document: convert it to OpenAPI 3 first (e.g. npx swagger2openapi doc.yaml -o doc3.yaml)")
	case len(head.OpenAPI) < 2 || head.OpenAPI[:2] != "3.":
		return nil, fmt.Errorf(`not an OpenAPI 3 document: "openapi" is %q, want 3.0.x or 3.1.x`, head.OpenAPI)
	}
	if n := countOperations(head.Paths); n > maxOps {
		return nil, fmt.Errorf("the document declares %d operations, more than the limit of %d; split it or raise the limit: %w", n, maxOps, ErrTooLarge)
	}
	t := &openapi3.T{}
	if err := json.Unmarshal(trimmed, t); err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	if err := loader.ResolveRefsIn(t, nil); err != nil {
		return nil, fmt.Errorf("resolving the document's $refs: %w", err)
	}
	return t, nil
}

// countOperations counts the operation keys of the path items.
func countOperations(paths map[string]map[string]json.RawMessage) int {
	n := 0
	for _, item := range paths {
		for k := range item {
			switch k {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				n++
			}
		}
	}
	return n
}
