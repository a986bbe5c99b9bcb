package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes keeps openapi.json in step with the route table.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	s := &server{}
	seen := map[string]bool{}
	for _, rt := range s.routes() {
		ops, ok := doc.Paths[rt.Path]
		if !ok {
			t.Errorf("openapi.json lacks path %s", rt.Path)
			continue
		}
		if _, ok := ops[strings.ToLower(rt.Method)]; !ok {
			t.Errorf("openapi.json lacks %s %s", rt.Method, rt.Path)
		}
		seen[strings.ToLower(rt.Method)+" "+rt.Path] = true
	}
	// And nothing described that is not served (the /hooks/ mount aside).
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || strings.HasPrefix(path, "/hooks/") {
				continue
			}
			if !seen[method+" "+path] {
				t.Errorf("openapi.json describes %s %s, which is not routed", method, path)
			}
		}
	}
}
