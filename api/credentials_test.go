package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/credential/oauthtest"
)

// TestStartOAuthJSON: the console calls oauth/start with fetch (it needs the
// API token), which cannot hand a cross-origin 302 to the page; with
// ?format=json the same start answers 200 and the provider's URL, while the
// plain call still redirects.
func TestStartOAuthJSON(t *testing.T) {
	t.Parallel()
	provider := oauthtest.New()
	t.Cleanup(provider.Close)
	b := setup(t, bundleOpts{extra: func(cfg *Config) {
		kr, err := credential.NewKeyring(credential.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		v, err := credential.New(credential.Config{Store: cfg.Store, Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Credentials = v
	}})
	put := b.do(t, req{method: "PUT", path: "/api/v1/credentials/crm", contentType: "application/json", body: `{"type":"oauth2_code","data":{
		"auth_url":"` + provider.URL + `/authorize","token_url":"` + provider.URL + `/token","client_id":"` + provider.ClientID + `",
		"client_secret":"` + provider.ClientSecret + `","redirect_url":"https://weft.example/oauth/callback","scopes":"contacts"}}`})
	if put.status != http.StatusOK {
		t.Fatalf("put credential: %d %s", put.status, put.body)
	}

	res := b.get(t, "/api/v1/credentials/crm/oauth/start?format=json")
	if res.status != http.StatusOK {
		t.Fatalf("format=json: status %d, want 200: %s", res.status, res.body)
	}
	if loc := res.header.Get("Location"); loc != "" {
		t.Fatalf("format=json sets Location %q", loc)
	}
	u, _ := res.json(t)["authorize_url"].(string)
	if !strings.HasPrefix(u, provider.URL+"/authorize?") || !strings.Contains(u, "code_challenge=") || !strings.Contains(u, "state=") {
		t.Fatalf("authorize_url = %q", u)
	}

	// Without format the browser is redirected, as before.
	hr, err := http.NewRequest("GET", b.srv.URL+"/api/v1/credentials/crm/oauth/start", nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+testToken)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), provider.URL+"/authorize?") {
		t.Fatalf("plain start: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// An unknown credential is a 404 in both forms.
	if res := b.get(t, "/api/v1/credentials/nope/oauth/start?format=json"); res.status != http.StatusNotFound {
		t.Fatalf("unknown credential: %d %s", res.status, res.body)
	}
}
