package credential_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/credential"
)

// echo answers with what authenticated the request.
func echo(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"auth": r.Header.Get("Authorization"), "key": r.Header.Get("X-API-Key"),
		"query": r.URL.Query().Get("api_key"), "account": r.Header.Get("X-Account")}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		out["client_cert"] = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	json.NewEncoder(w).Encode(out)
}

func call(t *testing.T, v *credential.Vault, name, url string, base *http.Client) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if err := v.Authorize(context.Background(), "wf", name, req); err != nil {
		t.Fatalf("%s: authorize: %v", name, err)
	}
	c, err := v.Client(context.Background(), "wf", name, base)
	if err != nil {
		t.Fatalf("%s: client: %v", name, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func TestAuthKindsEndToEnd(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(echo))
	t.Cleanup(srv.Close)
	b := setup(t, credential.Config{LookupEnv: func(k string) (string, bool) {
		if k == "BILLING_TOKEN" {
			return "env-bearer-token-1", true
		}
		return "", false
	}})
	const hsKey = "jwt-hmac-secret-key"
	for name, in := range map[string]credential.Input{
		"key-header": {Type: credential.TypeAPIKey, Data: map[string]any{"api_key": "k-header-123"}},
		"key-query":  {Type: credential.TypeAPIKey, Data: map[string]any{"api_key": "k-query-123", "in": "query", "name": "api_key"}},
		"bearer":     {Type: credential.TypeBearer, Data: map[string]any{"token": "env:BILLING_TOKEN"}},
		"basic":      {Type: credential.TypeBasic, Data: map[string]any{"username": "ada", "password": "pw-123456"}},
		"jwt":        {Type: credential.TypeJWT, Data: map[string]any{"algorithm": "HS256", "key": hsKey, "issuer": "weft", "claims": `{"scope":"read"}`}},
		"custom":     {Type: credential.TypeCustom, Data: map[string]any{"key": "c-key-123", "account": "acme", "headers": map[string]any{"Authorization": "Key {{ key }}", "X-Account": "{{account}}"}}},
	} {
		mustPut(t, b.vault, name, in)
	}
	base := http.DefaultClient
	if got := call(t, b.vault, "key-header", srv.URL, base); got["key"] != "k-header-123" {
		t.Errorf("api_key header: %v", got)
	}
	if got := call(t, b.vault, "key-query", srv.URL, base); got["query"] != "k-query-123" {
		t.Errorf("api_key query: %v", got)
	}
	if got := call(t, b.vault, "bearer", srv.URL, base); got["auth"] != "Bearer env-bearer-token-1" {
		t.Errorf("bearer from env: %v", got)
	}
	if got := call(t, b.vault, "basic", srv.URL, base); got["auth"] != "Basic "+base64.StdEncoding.EncodeToString([]byte("ada:pw-123456")) {
		t.Errorf("basic: %v", got)
	}
	if got := call(t, b.vault, "custom", srv.URL, base); got["auth"] != "Key c-key-123" || got["account"] != "acme" {
		t.Errorf("custom: %v", got)
	}
	// JWT: a fresh, verifiable token on every request.
	j1 := call(t, b.vault, "jwt", srv.URL, base)["auth"].(string)
	j2 := call(t, b.vault, "jwt", srv.URL, base)["auth"].(string)
	if j1 == j2 {
		t.Error("the JWT was not signed per request")
	}
	tok := strings.TrimPrefix(j1, "Bearer ")
	parts := strings.Split(tok, ".")
	m := hmac.New(sha256.New, []byte(hsKey))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
		t.Error("JWT signature does not verify")
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	json.Unmarshal(claims, &c)
	if c["iss"] != "weft" || c["scope"] != "read" || c["exp"].(float64) <= c["iat"].(float64) {
		t.Errorf("claims = %v", c)
	}
	// Webhook secrets cannot be sent out.
	mustPut(t, b.vault, "hook", credential.Input{Type: credential.TypeWebhookSecret, Data: map[string]any{"secret": "whsec_123456"}})
	req, _ := http.NewRequest("GET", srv.URL, nil)
	if err := b.vault.Authorize(context.Background(), "wf", "hook", req); err == nil {
		t.Error("a webhook secret authorized an outgoing request")
	}
}

func TestJWTES256AndRS256(t *testing.T) {
	t.Parallel()
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ek)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tok, err := credential.SignJWT("ES256", pemKey, map[string]any{"alg": "ES256"}, map[string]any{"sub": "x"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&ek.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("ES256 signature does not verify")
	}
	if _, err := credential.SignJWT("RS256", pemKey, map[string]any{}, map[string]any{}); err == nil {
		t.Fatal("RS256 accepted an EC key")
	}
}

// TestMutualTLS: a server that requires a client certificate signed by its
// CA accepts the mtls credential's client, and the credential's own CA
// verifies the server.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(cn string, usage x509.ExtKeyUsage, dns []string) ([]byte, []byte) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: dns}
		der, _ := x509.CreateCertificate(rand.Reader, tpl, ca, &k.PublicKey, caKey)
		kd, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
	}
	srvCert, srvKey := issue("server", x509.ExtKeyUsageServerAuth, []string{"localhost"})
	cliCert, cliKey := issue("weft-client", x509.ExtKeyUsageClientAuth, nil)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	pair, _ := tls.X509KeyPair(srvCert, srvKey)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	b := setup(t, credential.Config{})
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	mustPut(t, b.vault, "bank", credential.Input{Type: credential.TypeMTLS, Data: map[string]any{
		"cert": string(cliCert), "key": string(cliKey), "ca": string(caPEM), "server_name": "localhost"}})
	if got := call(t, b.vault, "bank", srv.URL, http.DefaultClient); got["client_cert"] != "weft-client" {
		t.Fatalf("mtls: %v", got)
	}
	if resp, err := http.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Fatal("the server accepted a client without a certificate")
	}
}

// TestVaultKVReference resolves vault:secret/data/crm#token against a local
// fake of HashiCorp Vault's KV v2 HTTP API, through the official client.
func TestVaultKVReference(t *testing.T) {
	t.Parallel()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Vault-Token") != "root-token" {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":["permission denied"]}`))
			return
		}
		if r.URL.Path != "/v1/secret/data/crm" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":[]}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"request_id":"1","lease_id":"","renewable":false,"lease_duration":0,"data":{"data":{"token":"kv-token-123456"},"metadata":{"version":3}}}`))
	}))
	t.Cleanup(fake.Close)
	kv, err := credential.NewHashiVault(fake.URL, "root-token")
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, credential.Config{KV: kv})
	mustPut(t, b.vault, "crm", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "vault:secret/data/crm#token"}})
	req, _ := http.NewRequest("GET", "https://api.crm.example/", nil)
	if err := b.vault.Authorize(context.Background(), "wf", "crm", req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer kv-token-123456" {
		t.Fatalf("auth = %q", got)
	}
	if s := b.vault.Redactor().String("leaked kv-token-123456"); s != "leaked [redacted]" {
		t.Fatalf("resolved value not redacted: %q", s)
	}
	mustPut(t, b.vault, "gone", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "vault:secret/data/none#token"}})
	if err := b.vault.Authorize(context.Background(), "wf", "gone", req); err == nil {
		t.Fatal("missing vault secret resolved")
	}
}

func TestKeyRotationAndAtRest(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	mustPut(t, b.vault, "api", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "plain-secret-at-rest"}})
	rec, _ := b.store.GetCredential(context.Background(), "api")
	if strings.Contains(string(rec.Sealed), "plain-secret-at-rest") {
		t.Fatal("stored in the clear")
	}
	newKey := credential.NewKey()
	n, err := credential.Rotate(context.Background(), b.store, b.keyring, newKey)
	if err != nil || n != 1 {
		t.Fatalf("rotate = %d, %v", n, err)
	}
	rec, _ = b.store.GetCredential(context.Background(), "api")
	if credential.SealedKeyID(rec.Sealed) != credential.KeyID(newKey) {
		t.Fatal("not re-sealed with the new key")
	}
	kr, _ := credential.NewKeyring(newKey)
	v2, _ := credential.New(credential.Config{Store: b.store, Keyring: kr})
	c, err := v2.Get(context.Background(), "wf", "api")
	if err != nil || c.Data["token"] != "plain-secret-at-rest" {
		t.Fatalf("after rotation: %v %v", c, err)
	}
	if _, err := b.vault.Get(context.Background(), "wf", "api"); err == nil {
		t.Fatal("the old key alone still opens rotated values")
	}
}
