package outside_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential/oauthtest"
)

// TestOAuthCallbackThroughTheAPI: the authorization-code flow as a browser
// and the provider drive it: /oauth/start answers 302 to the provider, the
// provider redirects to /oauth/callback (public: no API token), the
// callback stores the tokens, and a step then calls the provider's API
// with them. A forged state is refused.
func TestOAuthCallbackThroughTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := oauthtest.New()
	t.Cleanup(srv.Close)
	if code, body := b.apiPut(t, "/api/v1/credentials/crm", `{"type":"oauth2_code","data":{
		"auth_url":"`+srv.URL+`/authorize","token_url":"`+srv.URL+`/token","client_id":"`+srv.ClientID+`",
		"client_secret":"`+srv.ClientSecret+`","redirect_url":"https://weft.example/oauth/callback","scopes":"contacts"}}`); code != 200 {
		t.Fatalf("put credential: %d %s", code, body)
	}

	start := httptest.NewRequest("GET", "/api/v1/credentials/crm/oauth/start", nil)
	start.Header.Set("Authorization", "Bearer "+b.token)
	rec := httptest.NewRecorder()
	b.api.ServeHTTP(rec, start)
	if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), srv.URL+"/authorize?") {
		t.Fatalf("start: %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
	// The "browser" visits the provider, which approves and redirects back.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Path != "/oauth/callback" || back.Query().Get("code") == "" {
		t.Fatalf("provider redirect: %q %v", resp.Header.Get("Location"), err)
	}

	callback := func(query string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		b.api.ServeHTTP(rec, httptest.NewRequest("GET", "/oauth/callback?"+query, nil)) // no API token
		return rec
	}
	forged := back.Query()
	forged.Set("state", forged.Get("state")+"x")
	if rec := callback(forged.Encode()); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("forged state: %d %s", rec.Code, rec.Body)
	}
	if rec := callback("error=access_denied"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "oauth_denied") {
		t.Fatalf("denied: %d %s", rec.Code, rec.Body)
	}
	if rec := callback(back.RawQuery); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<b>crm</b> is authorized") {
		t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
	if n := srv.CodeExchanges.Load(); n != 1 {
		t.Fatalf("code exchanges = %d, want 1", n)
	}
	if rec := callback(back.RawQuery); rec.Code == http.StatusOK {
		t.Fatalf("a replayed callback was accepted: %s", rec.Body)
	}

	// A step uses the stored token.
	b.put(t, "name: crm-call\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      credential: crm\n      url: "+srv.URL+"/resource\n")
	if ex := b.wait(t, b.start(t, "crm-call")); ex.Status != weft.ExecutionSucceeded {
		t.Fatalf("step with the OAuth token: %s %+v", ex.Status, ex.Error)
	}
	if !strings.Contains(b.apiGet(t, "/api/v1/connections"), `"token_expiry"`) {
		t.Fatal("connections list lacks the token expiry")
	}
}

// TestMutualTLSThroughTheStep: http.request with an mtls credential reaches
// a server that requires a client certificate from its CA, and verifies the
// server with the credential's CA; without the credential the handshake
// fails.
func TestMutualTLSThroughTheStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
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
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"client_cert": r.TLS.PeerCertificates[0].Subject.CommonName})
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	data, _ := json.Marshal(map[string]any{"type": "mtls", "data": map[string]string{
		"cert": string(cliCert), "key": string(cliKey), "ca": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		"server_name": "localhost"}})
	if code, body := b.apiPut(t, "/api/v1/credentials/bank", string(data)); code != 200 {
		t.Fatalf("put credential: %d %s", code, body)
	}
	b.put(t, "name: bank-call\nsteps:\n  - id: call\n    uses: http.request\n    with:\n      credential: bank\n      url: "+srv.URL+"/balance\n")
	id := b.start(t, "bank-call")
	if ex := b.wait(t, id); ex.Status != weft.ExecutionSucceeded || !strings.Contains(string(ex.Output), "weft-client") {
		runs, _ := b.st.GetStepRuns(t.Context(), id)
		t.Fatalf("mtls step: %s %+v %s; runs %+v", ex.Status, ex.Error, ex.Output, runs)
	}
	b.put(t, "name: bank-nocert\nsteps:\n  - id: call\n    uses: http.request\n    retry: {max_attempts: 1}\n    with:\n      url: "+srv.URL+"/balance\n")
	if ex := b.wait(t, b.start(t, "bank-nocert")); ex.Status != weft.ExecutionFailed {
		t.Fatalf("without the credential: %s, want failed", ex.Status)
	}
}
