package credential_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/weftworks/weft/credential"
)

// sfTokenServer is a Salesforce-like token endpoint for the JWT bearer
// grant: it verifies the assertion's RS256 signature and claims, and
// answers with instance_url only on the first grant (a later answer that
// leaves a field out must not lose it).
func sfTokenServer(t *testing.T, pub *rsa.PublicKey) (*httptest.Server, *atomic.Int32) {
	var grants atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fail := func(msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": "invalid_grant", "error_description": msg})
		}
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			fail("grant type")
			return
		}
		parts := strings.Split(r.PostForm.Get("assertion"), ".")
		if len(parts) != 3 {
			fail("assertion")
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
			fail("bad signature")
			return
		}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c map[string]any
		_ = json.Unmarshal(raw, &c)
		if c["iss"] != "3MVG9consumer" || c["sub"] != "ada@example.com" || c["aud"] != "https://login.salesforce.com" || c["exp"].(float64)-c["iat"].(float64) > 180 {
			fail("claims")
			return
		}
		n := grants.Add(1)
		out := map[string]any{"access_token": "00D!token" + string(rune('0'+n)), "token_type": "Bearer", "scope": "api", "id": "https://login.salesforce.com/id/00D/005", "signature": "c2lnbmF0dXJl"}
		if n == 1 {
			out["instance_url"] = "https://acme.my.salesforce.com"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &grants
}

func TestJWTBearerGrantKeepsTokenFields(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	srv, grants := sfTokenServer(t, &key.PublicKey)
	b := setup(t, credential.Config{})
	ctx := context.Background()
	mustPut(t, b.vault, "sf", credential.Input{Type: credential.TypeOAuth2JWTBearer, Data: map[string]any{
		"token_url": srv.URL, "client_id": "3MVG9consumer", "subject": "ada@example.com", "audience": "https://login.salesforce.com", "key": pemKey}})
	req, _ := http.NewRequest("GET", "https://acme.my.salesforce.com/services/data/v61.0/limits", nil)
	if err := b.vault.Authorize(ctx, "wf", "sf", req); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Authorization") != "Bearer 00D!token1" {
		t.Fatalf("Authorization = %q", req.Header.Get("Authorization"))
	}
	s, err := b.vault.Settings(ctx, "wf", "sf")
	if err != nil {
		t.Fatal(err)
	}
	if s.TokenFields["instance_url"] != "https://acme.my.salesforce.com" || s.TokenFields["id"] == "" {
		t.Fatalf("token fields = %v", s.TokenFields)
	}
	for k := range s.TokenFields {
		if strings.Contains(k, "token") || k == "signature" {
			t.Errorf("secret field %q lent as a token field", k)
		}
	}
	// A 401 drops the token; the next grant's answer has no instance_url,
	// which must survive.
	b.vault.Invalidate(ctx, "wf", "sf")
	req, _ = http.NewRequest("GET", "https://acme.my.salesforce.com/x", nil)
	if err := b.vault.Authorize(ctx, "wf", "sf", req); err != nil {
		t.Fatal(err)
	}
	if grants.Load() != 2 || req.Header.Get("Authorization") != "Bearer 00D!token2" {
		t.Fatalf("grants = %d, Authorization = %q", grants.Load(), req.Header.Get("Authorization"))
	}
	if s, _ = b.vault.Settings(ctx, "wf", "sf"); s.TokenFields["instance_url"] != "https://acme.my.salesforce.com" {
		t.Fatalf("instance_url lost across the refresh: %v", s.TokenFields)
	}
	// A wrong key is refused with the provider's reason, not retried.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ = x509.MarshalPKCS8PrivateKey(other)
	mustPut(t, b.vault, "bad", credential.Input{Type: credential.TypeOAuth2JWTBearer, Data: map[string]any{
		"token_url": srv.URL, "client_id": "3MVG9consumer", "subject": "ada@example.com", "audience": "https://login.salesforce.com",
		"key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}})
	req, _ = http.NewRequest("GET", "https://acme.my.salesforce.com/x", nil)
	err = b.vault.Authorize(ctx, "wf", "bad", req)
	if err == nil || !strings.Contains(err.Error(), "bad signature") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestBaseURLSetting(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	_, err := b.vault.Put(context.Background(), "gh", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "x"},
		Settings: credential.Settings{BaseURL: "ftp://github.example.com"}})
	if err == nil || !strings.Contains(err.Error(), "base_url") {
		t.Fatalf("bad base_url: %v", err)
	}
	mustPut(t, b.vault, "gh", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "x"},
		Settings: credential.Settings{BaseURL: "https://github.example.com/api/v3"}})
	if s, err := b.vault.Settings(context.Background(), "wf", "gh"); err != nil || s.BaseURL != "https://github.example.com/api/v3" {
		t.Fatalf("settings = %+v, %v", s, err)
	}
}
