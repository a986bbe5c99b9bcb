package openapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/openapi"
)

// TestHostileDocuments: whatever a document can multiply is bounded, with
// an error that names the limit, or a warning when the import can go on.
func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	op := `{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/S0"}}}},"responses":{"200":{"description":"ok"}}}}`
	head := `{"openapi":"3.0.3","info":{"title":"H","version":"1"},"servers":[{"url":"https://h.example"}],`

	// 100 000 operations: refused before any $ref is resolved.
	var many strings.Builder
	many.WriteString(head + `"paths":{`)
	for i := range 100_000 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"/p%d":{"get":{"responses":{"200":{"description":"ok"}}}}`, i)
	}
	many.WriteString("}}")

	// A chain of 2000 schemas whose last refers to the first.
	var chain strings.Builder
	chain.WriteString(head + `"paths":{"/c":` + op + `},"components":{"schemas":{`)
	for i := range 2000 {
		if i > 0 {
			chain.WriteString(",")
		}
		fmt.Fprintf(&chain, `"S%d":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/S%d"}}}`, i, (i+1)%2000)
	}
	chain.WriteString("}}}")

	// A schema of 300 properties, each referring to the schema itself:
	// described naively it is 300^depth nodes.
	var wide strings.Builder
	wide.WriteString(head + `"paths":{"/w":` + op + `},"components":{"schemas":{"S0":{"type":"object","properties":{`)
	for i := range 300 {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, `"p%03d":{"$ref":"#/components/schemas/S0"}`, i)
	}
	wide.WriteString("}}}}}")

	bomb := "openapi: 3.0.3\ninfo: {title: B, version: '1'}\nx-a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		bomb += fmt.Sprintf("x-%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", n, n, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = n
	}
	bomb += "paths: {}\n"

	for _, tc := range []struct {
		name     string
		doc      string
		opts     openapi.Options
		wantErr  string
		tooLarge bool
		warn     string
		maxYAML  int
	}{
		{name: "100k operations", doc: many.String(), wantErr: "100000 operations, more than the limit of 5000", tooLarge: true},
		{name: "over the size limit", doc: chain.String(), opts: openapi.Options{MaxBytes: 1000}, wantErr: "more than the limit of 1000", tooLarge: true},
		{name: "ref cycle of 2000 schemas", doc: chain.String(), maxYAML: 4000},
		{name: "wide self reference", doc: wide.String(), warn: "a schema with 300 properties: only the first 200", maxYAML: 400_000},
		{name: "yaml alias bomb", doc: bomb, wantErr: "alias"},
		{name: "swagger 2", doc: `{"swagger":"2.0","info":{"title":"S","version":"1"},"paths":{}}`, wantErr: "Swagger 2.0 document: convert it to OpenAPI 3"},
		{name: "not openapi", doc: "hello: world\n", wantErr: `not an OpenAPI 3 document`},
		{name: "not yaml", doc: "a: [\n", wantErr: "reading the document as YAML"},
		{name: "relative server", doc: `{"openapi":"3.0.0","info":{"title":"R","version":"1"},"servers":[{"url":"/v1"}],"paths":{"/x":{"get":{"responses":{"200":{"description":"ok"}}}}}}`, wantErr: "give the API's address with --base-url"},
		{name: "bad name", doc: chain.String(), opts: openapi.Options{Name: "Bad-Name"}, wantErr: "lower-case letters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.opts.Name == "" {
				tc.opts.Name = "hostile"
			}
			res, err := openapi.Import(context.Background(), []byte(tc.doc), tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if tc.tooLarge != errors.Is(err, openapi.ErrTooLarge) {
					t.Fatalf("errors.Is(err, ErrTooLarge) = %v, want %v", !tc.tooLarge, tc.tooLarge)
				}
				return
			}
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			out, err := openapi.Marshal(&res.App, "hostile")
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > tc.maxYAML {
				t.Fatalf("app.yaml is %d bytes, want at most %d: the schema was not bounded", len(out), tc.maxYAML)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tc.warn) {
				t.Fatalf("warnings %q lack %q", res.Warnings, tc.warn)
			}
		})
	}
}
