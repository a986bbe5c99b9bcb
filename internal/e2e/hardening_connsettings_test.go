package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftworks/weft/internal/fakes/aifake"
)

// TestConnectionRetryDefaultsUnderServe: a bearer credential's retry
// settings (max_attempts 6, idempotency_header X-Request-Id) reach a POST
// step under weft serve: five attempts against 503, 503, 503, 503, 200,
// each carrying the same X-Request-Id and no Idempotency-Key.
func TestConnectionRetryDefaultsUnderServe(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ids, idemKeys, auths []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("X-Request-Id"))
		idemKeys = append(idemKeys, r.Header.Get("Idempotency-Key"))
		auths = append(auths, r.Header.Get("Authorization"))
		n := len(ids)
		mu.Unlock()
		if n <= 4 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"created":true}`))
	}))
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	writeWorkflow(t, dir, "charge", fmt.Sprintf(`
name: charge
on:
  webhook: { path: charge, method: POST }
steps:
  - id: post
    uses: http.request
    with: { method: POST, credential: payments, url: "%s/charges", json: { amount: 42 } }
`, fake.URL))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", dir)
	putCredential(t, s, "payments", map[string]any{"type": "bearer", "data": map[string]any{"token": "pay-token-123456"},
		"retry": map[string]any{"max_attempts": 6, "idempotency_header": "X-Request-Id", "initial": "100ms", "max": "400ms"}})
	id, err := s.hook("charge", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 60*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if ex.Status != "succeeded" || ex.Steps[0].Attempts != 5 {
		t.Fatalf("execution %s after %d attempts (fake saw %d), want succeeded after 5", ex.Status, ex.Steps[0].Attempts, len(ids))
	}
	if len(ids) != 5 {
		t.Fatalf("fake saw %d calls, want 5", len(ids))
	}
	for i := range ids {
		if ids[i] == "" || ids[i] != ids[0] {
			t.Errorf("attempt %d: X-Request-Id %q, want the same key on every attempt (first %q)", i+1, ids[i], ids[0])
		}
		if idemKeys[i] != "" {
			t.Errorf("attempt %d sent Idempotency-Key %q besides the connection's header", i+1, idemKeys[i])
		}
		if auths[i] != "Bearer pay-token-123456" {
			t.Errorf("attempt %d: Authorization %q", i+1, auths[i])
		}
	}
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, all made for one test.
type testPKI struct {
	caPEM                 string
	server                tls.Certificate
	clientCert, clientKey string
	pool                  *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weft test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) (certPEM, keyPEM string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	}
	p := &testPKI{caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	sc, sk := issue(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	if p.server, err = tls.X509KeyPair([]byte(sc), []byte(sk)); err != nil {
		t.Fatal(err)
	}
	p.clientCert, p.clientKey = issue(3, "weft-client", x509.ExtKeyUsageClientAuth, nil)
	return p
}

// TestMutualTLSUnderServe: an mtls credential's client certificate and CA
// are used under weft serve against a server that requires a client
// certificate signed by its CA (before, the CA was never trusted and the
// call failed with "certificate signed by unknown authority").
func TestMutualTLSUnderServe(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"client":%q}`, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writeWorkflow(t, dir, "bank", fmt.Sprintf(`
name: bank
on:
  webhook: { path: bank, method: POST }
steps:
  - id: call
    uses: http.request
    with: { credential: bank-mtls, url: "%s/accounts" }
`, srv.URL))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", dir)
	putCredential(t, s, "bank-mtls", map[string]any{"type": "mtls", "data": map[string]any{"cert": pki.clientCert, "key": pki.clientKey, "ca": pki.caPEM}})
	id, err := s.hook("bank", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "succeeded" {
		msg := ""
		if len(ex.Steps) > 0 && ex.Steps[0].Error != nil {
			msg = ex.Steps[0].Error.Message
		}
		t.Fatalf("execution %s: %s", ex.Status, msg)
	}
	if !strings.Contains(string(ex.Steps[0].Output), "weft-client") {
		t.Fatalf("server did not see the client certificate: %s", ex.Steps[0].Output)
	}
}

// TestConnectionAllowPrivateNetUnderServe: without --allow-private-net a
// connection's own allow_private_net lets its steps reach a loopback
// service, while a step without that connection is refused by the SSRF
// guard.
func TestConnectionAllowPrivateNetUnderServe(t *testing.T) {
	t.Parallel()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"internal":true}`))
	}))
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	writeWorkflow(t, dir, "internal", fmt.Sprintf(`
name: internal
on:
  webhook: { path: internal, method: POST }
steps:
  - id: call
    uses: http.request
    with: { connection: inside, url: "%s/x" }
`, fake.URL))
	writeWorkflow(t, dir, "outsider", fmt.Sprintf(`
name: outsider
on:
  webhook: { path: outsider, method: POST }
steps:
  - id: call
    uses: http.request
    with: { url: "%s/x" }
`, fake.URL))
	s := startServerNoPrivateNet(t, "--data", t.TempDir(), "--workflows", dir)
	putCredential(t, s, "inside", map[string]any{"type": "none", "allow_private_net": []string{"127.0.0.0/8"}})
	id, err := s.hook("internal", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, s, id, 30*time.Second); ex.Status != "succeeded" {
		t.Fatalf("with the connection's allow_private_net: execution %s %+v", ex.Status, ex.Steps)
	}
	id, err = s.hook("outsider", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "failed" || ex.Steps[0].Error == nil || ex.Steps[0].Error.Code != "blocked" {
		t.Fatalf("without the connection: execution %s %+v, want failed with code blocked", ex.Status, ex.Steps)
	}
}

// TestAIStepsInheritRetryDefaultsUnderServe: an ai.chat step without
// `retry:` retries under its credential's retry defaults (4 attempts here;
// the built-in default of 3 would fail against three 503s).
func TestAIStepsInheritRetryDefaultsUnderServe(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	calls := 0
	fake := aifake.New("sk-e2e-retry", func(*aifake.Call) aifake.Reply {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 3 {
			return aifake.Reply{Status: http.StatusServiceUnavailable}
		}
		return aifake.Reply{Text: "hello"}
	})
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	writeWorkflow(t, dir, "ask", fmt.Sprintf(`
name: ask
on:
  webhook: { path: ask, method: POST }
steps:
  - id: chat
    uses: ai.chat
    with: { provider: openai-compatible, base_url: "%s", model: m1, credential: llm, prompt: hi }
`, fake.OpenAIURL()))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", dir)
	putCredential(t, s, "llm", map[string]any{"type": "api_key", "data": map[string]any{"api_key": "sk-e2e-retry"},
		"retry": map[string]any{"max_attempts": 4, "initial": "100ms", "max": "300ms"}})
	id, err := s.hook("ask", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 60*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if ex.Status != "succeeded" || ex.Steps[0].Attempts != 4 || calls != 4 {
		t.Fatalf("execution %s after %d attempts (%d calls), want succeeded after 4", ex.Status, ex.Steps[0].Attempts, calls)
	}
}
