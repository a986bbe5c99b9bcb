package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeCert(t *testing.T, dir, cn string, usage x509.ExtKeyUsage) (certFile, keyFile string, cert tls.Certificate) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+".key")
	_ = os.WriteFile(certFile, certPEM, 0o600)
	_ = os.WriteFile(keyFile, keyPEM, 0o600)
	cert, _ = tls.X509KeyPair(certPEM, keyPEM)
	return
}

// TestServeTLSHTTP2AndClientCerts: --tls-cert/--tls-key serve HTTP/2, and a
// client certificate reaches the handler for per-webhook mTLS checks.
func TestServeTLSHTTP2AndClientCerts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile, _ := writeCert(t, dir, "localhost", x509.ExtKeyUsageServerAuth)
	_, _, client := writeCert(t, dir, "partner", x509.ExtKeyUsageClientAuth)
	if _, err := (&hookFlags{tlsCert: certFile}).config(); err == nil {
		t.Fatal("--tls-cert without --tls-key accepted")
	}
	if _, err := (&hookFlags{trustedProxies: "10.0.0.0/8,nonsense"}).config(); err == nil {
		t.Fatal("bad --trusted-proxies accepted")
	}
	cfg, err := (&hookFlags{tlsCert: certFile, tlsKey: keyFile, trustedProxies: "10.0.0.0/8, 192.0.2.1"}).config()
	if err != nil || len(cfg.trusted) != 2 || cfg.scheme() != "https" {
		t.Fatalf("%+v %v", cfg, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peer := make(chan string, 1)
	srv := &http.Server{TLSConfig: cfg.tls, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		peer <- cn
	})}
	go func() { _ = cfg.serve(srv, ln) }()
	t.Cleanup(func() { srv.Close() })
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	c := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{client}}}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/hooks/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("proto %s, want HTTP/2.0", resp.Proto)
	}
	if cn := <-peer; cn != "partner" {
		t.Errorf("client certificate CN %q did not reach the handler", cn)
	}
}
