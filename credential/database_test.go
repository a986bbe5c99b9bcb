package credential_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/netguard"
)

// TestDatabaseDialerPassesTheSSRFGuard: a database connection is dialled
// through the guard like HTTP: a loopback server is refused unless the
// credential's allow_private_net (or the server's) opens it, and only the
// credential's hosts are reached.
func TestDatabaseDialerPassesTheSSRFGuard(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	guard := netguard.New(netguard.Config{})
	b := setup(t, credential.Config{Dial: guard.Dialer})
	ctx := context.Background()
	mustPut(t, b.vault, "closed", credential.Input{Type: credential.TypePostgres, Data: map[string]any{"host": "127.0.0.1"}})
	mustPut(t, b.vault, "open", credential.Input{Type: credential.TypePostgres, Data: map[string]any{"host": "127.0.0.1"},
		Settings: credential.Settings{AllowPrivateNet: []string{"127.0.0.0/8"}}})
	mustPut(t, b.vault, "pinned", credential.Input{Type: credential.TypeMySQL, Data: map[string]any{"host": "db.example.com"},
		Settings: credential.Settings{AllowPrivateNet: []string{"127.0.0.0/8"}, Hosts: []string{"db.example.com"}}})
	mustPut(t, b.vault, "other-wf", credential.Input{Type: credential.TypePostgres, Data: map[string]any{"host": "127.0.0.1"},
		Settings: credential.Settings{Workflows: []string{"billing"}}})

	dial := func(name, addr string) error {
		d, err := b.vault.Dialer(ctx, "wf", name)
		if err != nil {
			return err
		}
		c, err := d(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial("closed", ln.Addr().String()); !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("loopback without allow_private_net: err = %v, want the SSRF guard's refusal", err)
	}
	if err := dial("open", ln.Addr().String()); err != nil {
		t.Fatalf("loopback with allow_private_net 127.0.0.0/8: %v", err)
	}
	if err := dial("pinned", ln.Addr().String()); !errors.Is(err, credential.ErrDenied) {
		t.Fatalf("a host outside the credential's hosts: err = %v, want ErrDenied", err)
	}
	if err := dial("other-wf", ln.Addr().String()); !errors.Is(err, credential.ErrDenied) {
		t.Fatalf("a workflow the credential does not allow: err = %v, want ErrDenied", err)
	}
	d, err := b.vault.Dialer(ctx, "wf", "open")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d(ctx, "unix", "/var/run/postgresql/.s.PGSQL.5432"); err == nil || !strings.Contains(err.Error(), "only TCP") {
		t.Fatalf("a Unix socket: err = %v, want only TCP", err)
	}
	// The server-wide allowlist opens it too.
	wide := setup(t, credential.Config{Dial: netguard.New(netguard.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Dialer})
	mustPut(t, wide.vault, "closed", credential.Input{Type: credential.TypePostgres, Data: map[string]any{"host": "127.0.0.1"}})
	dw, err := wide.vault.Dialer(ctx, "wf", "closed")
	if err != nil {
		t.Fatal(err)
	}
	c, err := dw(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("loopback with the server's --allow-private-net: %v", err)
	}
	c.Close()
}

// TestDatabaseCredentialValidation: database credentials are checked when
// saved, and no message echoes the secret URL.
func TestDatabaseCredentialValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	ctx := context.Background()
	for _, c := range []struct {
		typ  string
		data map[string]any
		want string
	}{
		{credential.TypePostgres, map[string]any{}, "give `url` or `host`"},
		{credential.TypePostgres, map[string]any{"url": "mysql://u:pw-secret-1@h/db"}, "postgres://"},
		{credential.TypePostgres, map[string]any{"url": "postgres://u:pw-secret-1@h/db", "host": "h"}, "not both"},
		{credential.TypePostgres, map[string]any{"host": "/var/run/postgresql"}, "Unix sockets"},
		{credential.TypePostgres, map[string]any{"host": "h", "port": "99999"}, "port"},
		{credential.TypePostgres, map[string]any{"host": "h", "sslmode": "sometimes"}, "sslmode"},
		{credential.TypeMySQL, map[string]any{"host": "h", "max_connections": "500"}, "max_connections"},
		{credential.TypeSQLite, map[string]any{}, "path"},
	} {
		_, err := b.vault.Put(ctx, "db", credential.Input{Type: c.typ, Data: c.data})
		if err == nil || !errors.Is(err, weft.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err = %v, want an invalid-input error mentioning %q", c.typ, c.data, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw-secret-1") {
			t.Errorf("error echoes the URL's password: %v", err)
		}
	}
	mustPut(t, b.vault, "pg", credential.Input{Type: credential.TypePostgres, Data: map[string]any{"url": "postgres://app:pw-secret-2@db.example.com:5432/shop"}})
	mustPut(t, b.vault, "my", credential.Input{Type: credential.TypeMySQL, Data: map[string]any{"host": "db.example.com", "user": "app", "password": "pw-secret-3", "database": "shop"}})
	mustPut(t, b.vault, "lite", credential.Input{Type: credential.TypeSQLite, Data: map[string]any{"path": "shop.db"}})
}

// TestDatabaseSecretsAreRedacted: once a database credential is used, its
// URL, the password inside the URL and a password field are redacted from
// text (logs, errors, recorded outputs); host and database names are not.
func TestDatabaseSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	ctx := context.Background()
	mustPut(t, b.vault, "pg", credential.Input{Type: credential.TypePostgres, Data: map[string]any{"url": "postgres://app:pw-secret-2@db.example.com:5432/shop"}})
	mustPut(t, b.vault, "my", credential.Input{Type: credential.TypeMySQL, Data: map[string]any{"host": "db.example.com", "user": "app", "password": "pw-secret-3", "database": "shopping"}})
	for _, n := range []string{"pg", "my"} {
		if _, err := b.vault.Get(ctx, "wf", n); err != nil {
			t.Fatal(err)
		}
	}
	got := b.vault.Redactor().String("connect postgres://app:pw-secret-2@db.example.com:5432/shop failed; password pw-secret-2 / pw-secret-3 at db.example.com database shopping")
	if strings.Contains(got, "pw-secret") {
		t.Fatalf("redacted text still holds a password: %s", got)
	}
	if !strings.Contains(got, "db.example.com database shopping") {
		t.Fatalf("host and database were redacted too: %s", got)
	}
}
