package verify

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// eq compares two secrets in constant time (hashing first so that the
// length of the expected value does not leak either).
func eq(a, b []byte) bool {
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// basicVerifier checks Authorization: Basic against secrets of the form
// "user:password".
type basicVerifier struct{}

func (basicVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeBasic}
	if err := noSecret(verifyspec.SchemeBasic, secrets); err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeBasic, r.Header, "Authorization")
	if err != nil {
		return res, err
	}
	enc, ok := cutPrefixFold(v, "Basic ")
	if !ok {
		return res, fail(verifyspec.SchemeBasic, ReasonMalformed, "Authorization is not Basic")
	}
	pair, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return res, fail(verifyspec.SchemeBasic, ReasonMalformed, "Authorization Basic is not base64")
	}
	found, id := false, ""
	for _, s := range secrets {
		if len(s.Value) > 0 && eq(s.Value, pair) && !found {
			found, id = true, s.ID
		}
	}
	if !found {
		return res, fail(verifyspec.SchemeBasic, ReasonBadCredentials, "user or password does not match")
	}
	user, _, _ := strings.Cut(string(pair), ":")
	res.KeyID, res.Subject = id, user
	return res, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// bearerVerifier checks a static token in Authorization: Bearer (or in a
// named header, taken whole).
type bearerVerifier struct{ header string }

func (b bearerVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeBearer}
	if err := noSecret(verifyspec.SchemeBearer, secrets); err != nil {
		return res, err
	}
	name := b.header
	if name == "" {
		name = "Authorization"
	}
	v, err := single(verifyspec.SchemeBearer, r.Header, name)
	if err != nil {
		return res, err
	}
	tok := v
	if strings.EqualFold(name, "Authorization") {
		var ok bool
		if tok, ok = cutPrefixFold(v, "Bearer "); !ok {
			return res, fail(verifyspec.SchemeBearer, ReasonMalformed, "Authorization is not Bearer")
		}
		tok = strings.TrimSpace(tok)
	}
	found, id := false, ""
	for _, s := range secrets {
		if len(s.Value) > 0 && eq(s.Value, []byte(tok)) && !found {
			found, id = true, s.ID
		}
	}
	if !found {
		return res, fail(verifyspec.SchemeBearer, ReasonBadCredentials, "token does not match")
	}
	res.KeyID = id
	return res, nil
}

// mtlsVerifier checks the client certificate the TLS handshake received
// against this webhook's CAs (the server requests, but does not itself
// verify, client certificates, so each webhook can trust its own CAs).
type mtlsVerifier struct {
	pool     *x509.CertPool
	subjects []string
}

func (m mtlsVerifier) Verify(_ context.Context, r *Request, _ []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeMTLS}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return res, fail(verifyspec.SchemeMTLS, ReasonNoClientCert, "the request carries no client certificate (is Weft serving TLS with --tls-cert?)")
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: m.pool, Intermediates: inter, CurrentTime: r.Now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return res, fail(verifyspec.SchemeMTLS, ReasonBadClientCert, "client certificate %q does not chain to the webhook's CA: %v", leaf.Subject.CommonName, err)
	}
	if len(m.subjects) > 0 {
		names := append([]string{leaf.Subject.CommonName}, leaf.DNSNames...)
		names = append(names, leaf.EmailAddresses...)
		for _, u := range leaf.URIs {
			names = append(names, u.String())
		}
		if !slices.ContainsFunc(names, func(n string) bool { return slices.Contains(m.subjects, n) }) {
			return res, fail(verifyspec.SchemeMTLS, ReasonBadClientCert, "client certificate %q is not one of the allowed subjects", leaf.Subject.CommonName)
		}
	}
	res.Subject = leaf.Subject.CommonName
	res.KeyID = leaf.SerialNumber.Text(16)
	return res, nil
}
