package credential_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/credential/oauthtest"
	"github.com/weftworks/weft/store/storepg"
)

// pgSchema opens two stores (two "processes") on one fresh schema of the
// database in WEFT_TEST_POSTGRES_URL, dropped when the test ends.
func pgSchema(t *testing.T) (*storepg.Store, *storepg.Store) {
	t.Helper()
	url := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("set WEFT_TEST_POSTGRES_URL to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the cross-process OAuth refresh test")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "weft_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	open := func() *storepg.Store {
		s, err := storepg.Open(ctx, url, storepg.Options{Schema: schema, MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1, s2 := open(), open()
	t.Cleanup(func() {
		s1.Close()
		s2.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return s1, s2
}

// TestIntegrationOAuthRefreshOncePerDatabase: two vaults (two processes)
// on one PostgreSQL schema, 32 concurrent callers split across them: one
// token request in all, for a client-credentials token and for the refresh
// of an authorization-code token.
func TestIntegrationOAuthRefreshOncePerDatabase(t *testing.T) {
	t.Parallel()
	s1, s2 := pgSchema(t)
	srv := oauthtest.New()
	t.Cleanup(srv.Close)
	clk := newClock()
	// A slow token endpoint keeps the first refresh in flight while every
	// other caller arrives.
	srv.Now, srv.TTL, srv.Delay = clk.Now, time.Hour, 100*time.Millisecond
	kr, err := credential.NewKeyring(credential.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	v1, err := credential.New(credential.Config{Store: s1, Keyring: kr, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := credential.New(credential.Config{Store: s2, Keyring: kr, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustPut(t, v1, "m2m", credential.Input{Type: credential.TypeOAuth2Client, Data: map[string]any{
		"token_url": srv.URL + "/token", "client_id": srv.ClientID, "client_secret": srv.ClientSecret}})
	mustPut(t, v1, "crm", credential.Input{Type: credential.TypeOAuth2Code, Data: map[string]any{
		"auth_url": srv.URL + "/authorize", "token_url": srv.URL + "/token", "client_id": srv.ClientID,
		"client_secret": srv.ClientSecret, "redirect_url": "https://weft.example/oauth/callback"}})

	// Authorize crm once in the browser (through process 1).
	start, err := v1.StartOAuth(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	if _, err := v1.FinishOAuth(ctx, loc.Query().Get("state"), loc.Query().Get("code")); err != nil {
		t.Fatal(err)
	}

	across := func(name string) map[string]bool {
		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := map[string]bool{}
		for i := range 32 {
			v := v1
			if i%2 == 1 {
				v = v2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("GET", "http://api.test/resource", nil)
				if err := v.Authorize(ctx, "wf", name, req); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[req.Header.Get("Authorization")] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
		return seen
	}

	if seen := across("m2m"); len(seen) != 1 {
		t.Fatalf("callers got %d different tokens, want 1", len(seen))
	}
	if n := srv.ClientCredentials.Load(); n != 1 {
		t.Fatalf("32 callers in two processes made %d client-credentials token requests, want 1", n)
	}
	// Past the early-refresh margin the authorization-code token is
	// refreshed, once for both processes.
	clk.Add(time.Hour - 10*time.Second)
	if seen := across("crm"); len(seen) != 1 {
		t.Fatalf("callers got %d different tokens, want 1", len(seen))
	}
	if n := srv.Refreshes.Load(); n != 1 {
		t.Fatalf("32 callers in two processes made %d refresh-token requests, want 1", n)
	}
	if got := v1.Refreshes("crm") + v2.Refreshes("crm"); got != 1 {
		t.Fatalf("the vaults count %d refreshes, want 1", got)
	}
}
