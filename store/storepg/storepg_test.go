package storepg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/store/storetest"
)

// urlEnv names the variable that points the tests at a PostgreSQL server,
// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const urlEnv = "WEFT_TEST_POSTGRES_URL"

func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(urlEnv)
	if url == "" {
		t.Skipf("set %s to a PostgreSQL URL to run the PostgreSQL store tests", urlEnv)
	}
	return url
}

// openSchema opens a store in a fresh schema, dropped when the test ends.
func openSchema(t testing.TB, opts storepg.Options) *storepg.Store {
	t.Helper()
	s, _ := openSchemaNamed(t, opts)
	return s
}

// openSchemaNamed is openSchema that also names the schema.
func openSchemaNamed(t testing.TB, opts storepg.Options) (*storepg.Store, string) {
	t.Helper()
	url := testURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	opts.Schema = "weft_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	s, err := storepg.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", opts.Schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+opts.Schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", opts.Schema, err)
		}
	})
	return s, opts.Schema
}

func TestIntegrationConformance(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openSchema(t, storepg.Options{MaxConns: 8}) })
}

// TestIntegrationConcurrentOpen starts several stores on one new schema at
// once: the advisory lock must let exactly one run the migrations.
func TestIntegrationConcurrentOpen(t *testing.T) {
	url := testURL(t)
	t.Parallel()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	name := "weft_test_open_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
			conn.Close(ctx)
		}
	})
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			s, err := storepg.Open(ctx, url, storepg.Options{Schema: name, MaxConns: 2})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Each migration applied exactly once, however many processes raced.
	files, _ := filepath.Glob("migrations/*.sql")
	var n int
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM "+name+".schema_migrations").Scan(&n); err != nil || n != len(files) || n == 0 {
		t.Fatalf("schema_migrations rows: %d, %v; want %d", n, err, len(files))
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, o := range []storepg.Options{{Schema: "Robert'); DROP TABLE"}, {MaxConns: -1}} {
		if err := o.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v: Validate accepted it", o)
		}
	}
	if err := (storepg.Options{Schema: "weft"}).WithDefaults().Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestIntegrationAuditVerifyDetectsEditedRow(t *testing.T) {
	t.Parallel()
	s, schema := openSchemaNamed(t, storepg.Options{})
	storetest.AuditTamper(t, s, func(seq int64, actor string) error {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, testURL(t))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "UPDATE "+schema+".audit_log SET actor = $1 WHERE seq = $2", actor, seq)
		return err
	})
}
