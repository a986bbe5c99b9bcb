package credential_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/credential/oauthtest"
)

// clock is a settable time source shared by the vault and the fake server.
type clock struct{ ns atomic.Int64 }

func newClock() *clock               { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

func authorizeAll(t *testing.T, v *credential.Vault, name string, n int) []string {
	t.Helper()
	var wg sync.WaitGroup
	out := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", "http://api.test/resource", nil)
			if err := v.Authorize(context.Background(), "wf", name, req); err != nil {
				t.Error(err)
				return
			}
			out[i] = req.Header.Get("Authorization")
		}()
	}
	wg.Wait()
	return out
}

func TestOAuthClientCredentialsRefreshesOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	srv := oauthtest.New()
	t.Cleanup(srv.Close)
	clk := newClock()
	srv.Now, srv.TTL, srv.Delay = clk.Now, 10*time.Minute, 50*time.Millisecond
	b := setup(t, credential.Config{Now: clk.Now})
	mustPut(t, b.vault, "m2m", credential.Input{Type: credential.TypeOAuth2Client, Data: map[string]any{
		"token_url": srv.URL + "/token", "client_id": srv.ClientID, "client_secret": srv.ClientSecret, "scopes": "read write"}})
	got := authorizeAll(t, b.vault, "m2m", 64)
	if n := srv.ClientCredentials.Load(); n != 1 {
		t.Fatalf("64 concurrent requests made %d token requests, want exactly 1", n)
	}
	for _, h := range got[1:] {
		if h != got[0] || h == "" {
			t.Fatalf("requests got different tokens: %q vs %q", h, got[0])
		}
	}
	// Shortly before expiry (within the early-refresh margin) the token is
	// replaced, once.
	clk.Add(10*time.Minute - 10*time.Second)
	authorizeAll(t, b.vault, "m2m", 64)
	if n := srv.ClientCredentials.Load(); n != 2 {
		t.Fatalf("after expiry: %d token requests in all, want 2", n)
	}
	// A fresh process (new vault, same store) reuses the stored token.
	v2, _ := credential.New(credential.Config{Store: b.store, Keyring: keyringOf(t, b), Now: clk.Now})
	authorizeAll(t, v2, "m2m", 8)
	if n := srv.ClientCredentials.Load(); n != 2 {
		t.Fatalf("second process refreshed: %d token requests", n)
	}
	if st := b.vault.Status(context.Background(), "m2m"); st.TokenExpiry == nil {
		t.Fatal("status lacks the token expiry")
	}
}

func TestOAuthAuthorizationCodeWithPKCE(t *testing.T) {
	t.Parallel()
	srv := oauthtest.New()
	t.Cleanup(srv.Close)
	clk := newClock()
	srv.Now, srv.TTL = clk.Now, time.Hour
	b := setup(t, credential.Config{Now: clk.Now})
	mustPut(t, b.vault, "crm", credential.Input{Type: credential.TypeOAuth2Code, Data: map[string]any{
		"auth_url": srv.URL + "/authorize", "token_url": srv.URL + "/token", "client_id": srv.ClientID,
		"client_secret": srv.ClientSecret, "redirect_url": "https://weft.example/oauth/callback", "scopes": "contacts"}})
	req, _ := http.NewRequest("GET", srv.URL+"/resource", nil)
	if err := b.vault.Authorize(context.Background(), "wf", "crm", req); err == nil {
		t.Fatal("authorized before the user granted access")
	}
	start, err := b.vault.StartOAuth(context.Background(), "crm")
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	if _, err := b.vault.FinishOAuth(context.Background(), back.Query().Get("state")+"x", back.Query().Get("code")); err == nil {
		t.Fatal("a forged state was accepted")
	}
	name, err := b.vault.FinishOAuth(context.Background(), back.Query().Get("state"), back.Query().Get("code"))
	if err != nil || name != "crm" {
		t.Fatalf("finish = %q, %v", name, err)
	}
	call := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/resource", nil)
		if err := b.vault.Authorize(context.Background(), "wf", "crm", req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := call(); st != 200 {
		t.Fatalf("resource = %d", st)
	}
	// Before expiry the refresh token gets a new access token.
	clk.Add(time.Hour - time.Second)
	authorizeAll(t, b.vault, "crm", 16)
	if n := srv.Refreshes.Load(); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
	// A 401 (token revoked) drops the token; the next use refreshes.
	srv.Revoke()
	if st := call(); st != 401 {
		t.Fatalf("revoked token answered %d", st)
	}
	b.vault.Invalidate(context.Background(), "wf", "crm")
	if st := call(); st != 200 || srv.Refreshes.Load() != 2 {
		t.Fatalf("after 401: status %d, refreshes %d", st, srv.Refreshes.Load())
	}
}
