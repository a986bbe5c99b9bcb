package openapi_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/openapi"
)

// largeDoc reads a document fetched by fetch-docs.sh, skipping when absent.
func largeDoc(tb testing.TB, name string) []byte {
	tb.Helper()
	p := filepath.Join("..", "..", "..", ".cache", "openapi", name)
	raw, err := os.ReadFile(p)
	if err != nil {
		tb.Skipf("%s is not present (run connectors/apps/openapi/fetch-docs.sh to fetch it): %v", p, err)
	}
	return raw
}

// TestLargeRealDocuments imports Stripe's and GitHub's full documents; the
// result must parse back and validate like a bundled connector and
// register every operation as a step type.
func TestLargeRealDocuments(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("the full documents are imported without -race (go test -run TestLargeRealDocuments ./connectors/apps/openapi): the race detector makes them minutes long")
	}
	for _, tc := range []struct {
		file, name string
		minOps     int
	}{
		{"stripe.json", "stripe_full", 500},
		{"github.json", "github_full", 900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := largeDoc(t, tc.file)
			res, err := openapi.Import(context.Background(), raw, openapi.Options{Name: tc.name})
			if err != nil {
				t.Fatalf("import %s: %v", tc.file, err)
			}
			if n := len(res.App.Operations); n < tc.minOps {
				t.Fatalf("%s: %d operations, want at least %d", tc.file, n, tc.minOps)
			}
			out, err := openapi.Marshal(&res.App, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			back, err := apps.Parse(tc.name+"/app.yaml", out)
			if err != nil {
				t.Fatalf("the written spec does not parse back: %v", err)
			}
			if len(back.Operations) != len(res.App.Operations) {
				t.Fatalf("parsed back %d operations, imported %d", len(back.Operations), len(res.App.Operations))
			}
			reg := apptest.Registry(t)
			if _, err := apps.RegisterApps(reg, []apps.App{back}); err != nil {
				t.Fatalf("registering: %v", err)
			}
			t.Logf("%s: %d operations, %d auth kinds, %d warnings, app.yaml %d bytes", tc.file, len(back.Operations), len(back.Auth), len(res.Warnings), len(out))
		})
	}
}

func BenchmarkImport(b *testing.B) {
	for _, tc := range []struct{ file, name string }{{"stripe.json", "stripe_full"}, {"github.json", "github_full"}} {
		b.Run(tc.name, func(b *testing.B) {
			raw := largeDoc(b, tc.file)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := openapi.Import(context.Background(), raw, openapi.Options{Name: tc.name}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
