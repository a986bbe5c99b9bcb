package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

func testCA(t *testing.T, cn string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, k, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func clientCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string) *x509.Certificate {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestMTLS(t *testing.T) {
	t.Parallel()
	ca, caKey, caPEM := testCA(t, "partner CA")
	other, otherKey, _ := testCA(t, "other CA")
	v := newVerifier(t, verifyspec.Config{Scheme: "mtls", CA: caPEM, Subjects: []string{"billing.partner"}})
	check := func(cs *tls.ConnectionState) error {
		_, err := v.Verify(t.Context(), &verify.Request{TLS: cs, Now: time.Now()}, nil)
		return err
	}
	good := clientCert(t, ca, caKey, "billing.partner")
	if err := check(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{good}}); err != nil {
		t.Fatal(err)
	}
	wantReason(t, check(nil), verify.ReasonNoClientCert)
	wantReason(t, check(&tls.ConnectionState{}), verify.ReasonNoClientCert)
	wantReason(t, check(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{clientCert(t, other, otherKey, "billing.partner")}}), verify.ReasonBadClientCert)
	wantReason(t, check(&tls.ConnectionState{PeerCertificates: []*x509.Certificate{clientCert(t, ca, caKey, "someone.else")}}), verify.ReasonBadClientCert)
}
