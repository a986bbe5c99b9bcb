package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/store/storesqlite"
)

func TestAdminTokenGeneratedOnceAndShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbFile := filepath.Join(t.TempDir(), "weft.db")
	st, err := storesqlite.Open(ctx, dbFile, storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := &Env{Getenv: func(string) string { return "" }}

	dataA := t.TempDir()
	first, err := adminToken(ctx, env, st, dataA)
	if err != nil {
		t.Fatal(err)
	}
	if first.token == "" || first.hash != sha256.Sum256([]byte(first.token)) {
		t.Fatalf("first start did not generate a token: %+v", first)
	}
	info, err := os.Stat(filepath.Join(dataA, "admin.token"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token: %v mode %v", err, info.Mode())
	}
	// A restart, and a second process with another data directory on the
	// same database, accept the same token and print nothing.
	for _, data := range []string{dataA, t.TempDir()} {
		again, err := adminToken(ctx, env, st, data)
		if err != nil {
			t.Fatal(err)
		}
		if again.token != "" || again.hash != first.hash {
			t.Fatalf("later start: %+v", again)
		}
	}
	// The database holds the hash only.
	st.Close()
	for _, f := range []string{dbFile, dbFile + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(first.token)) {
			t.Fatalf("%s contains the admin token", filepath.Base(f))
		}
	}
}

func TestAdminTokenFromEnvironment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := &Env{Getenv: func(k string) string {
		if k == "WEFT_ADMIN_TOKEN" {
			return "a-long-enough-admin-token"
		}
		return ""
	}}
	data := t.TempDir()
	res, err := adminToken(ctx, env, st, data)
	if err != nil || res.token != "" || res.hash != sha256.Sum256([]byte("a-long-enough-admin-token")) {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(data, "admin.token")); !os.IsNotExist(err) {
		t.Fatal("a token file was written although WEFT_ADMIN_TOKEN is set")
	}
	env.Getenv = func(string) string { return "short" }
	if _, err := adminToken(ctx, env, st, data); err == nil {
		t.Fatal("a short WEFT_ADMIN_TOKEN was accepted")
	}
}
