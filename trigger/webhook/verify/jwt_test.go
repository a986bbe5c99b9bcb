package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

func pubPEM(t *testing.T, k any) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func bearer(tok string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok)
	return h
}

// TestJWT: every token is produced by github.com/golang-jwt/jwt/v5.
func TestJWT(t *testing.T) {
	t.Parallel()
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "crm", "aud": "weft", "iss": "https://idp", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	hs := func(c jwt.MapClaims, key string, kid string) string {
		tk := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
		if kid != "" {
			tk.Header["kid"] = kid
		}
		s, err := tk.SignedString([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	v := newVerifier(t, verifyspec.Config{Scheme: "jwt", Credential: "c", Audience: "weft", Issuer: "https://idp"})
	res, err := run(v, bearer(hs(claims(nil), "k2", "")), nil, now, sec("one", "k1"), sec("two", "k2"))
	if err != nil || res.KeyID != "two" || res.Subject != "crm" {
		t.Fatalf("%+v %v", res, err)
	}
	_, err = run(v, bearer(hs(claims(nil), "k2", "one")), nil, now, sec("one", "k1"), sec("two", "k2"))
	wantReason(t, err, verify.ReasonBadSignature) // kid selects k1
	_, err = run(v, bearer(hs(claims(nil), "k2", "zzz")), nil, now, sec("two", "k2"))
	wantReason(t, err, verify.ReasonUnknownKey)
	_, err = run(v, bearer(hs(claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }), "k2", "")), nil, now, sec("two", "k2"))
	wantReason(t, err, verify.ReasonExpired)
	_, err = run(v, bearer(hs(claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }), "k2", "")), nil, now, sec("two", "k2"))
	wantReason(t, err, verify.ReasonNotYetValid)
	_, err = run(v, bearer(hs(claims(func(c jwt.MapClaims) { c["aud"] = []string{"other", "x"} }), "k2", "")), nil, now, sec("two", "k2"))
	wantReason(t, err, verify.ReasonAudience)
	if _, err = run(v, bearer(hs(claims(func(c jwt.MapClaims) { c["aud"] = []string{"other", "weft"} }), "k2", "")), nil, now, sec("two", "k2")); err != nil {
		t.Fatalf("aud list: %v", err)
	}
	_, err = run(v, bearer(hs(claims(func(c jwt.MapClaims) { c["iss"] = "evil" }), "k2", "")), nil, now, sec("two", "k2"))
	wantReason(t, err, verify.ReasonIssuer)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	_, err = run(v, bearer(none), nil, now, sec("two", "k2"))
	wantReason(t, err, verify.ReasonAlgorithm)

	// RS256 with a PEM key in the workflow file.
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	rs, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil)).SignedString(rk)
	vr := newVerifier(t, verifyspec.Config{Scheme: "jwt", PublicKey: pubPEM(t, &rk.PublicKey), Audience: "weft"})
	if _, err := run(vr, bearer(rs), nil, now); err != nil {
		t.Fatal(err)
	}
	// Algorithm confusion: an HS256 token keyed with the public PEM is refused.
	conf, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil)).SignedString([]byte(pubPEM(t, &rk.PublicKey)))
	_, err = run(vr, bearer(conf), nil, now)
	wantReason(t, err, verify.ReasonAlgorithm)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil)).SignedString(other)
	_, err = run(vr, bearer(bad), nil, now)
	wantReason(t, err, verify.ReasonBadSignature)

	// ES256 through a JWKS URL, selected by kid.
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fetches := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		pad := func(b *big.Int) string { return base64.RawURLEncoding.EncodeToString(b.FillBytes(make([]byte, 32))) }
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{
			map[string]any{"kty": "RSA", "kid": "r1", "n": base64.RawURLEncoding.EncodeToString(rk.N.Bytes()), "e": "AQAB"},
			map[string]any{"kty": "EC", "kid": "e1", "crv": "P-256", "x": pad(ek.X), "y": pad(ek.Y)},
		}})
	}))
	t.Cleanup(srv.Close)
	vj := newVerifier(t, verifyspec.Config{Scheme: "jwt", JWKSURL: srv.URL})
	et := jwt.NewWithClaims(jwt.SigningMethodES256, claims(nil))
	et.Header["kid"] = "e1"
	es, _ := et.SignedString(ek)
	if res, err := run(vj, bearer(es), nil, now); err != nil || res.KeyID != "e1" {
		t.Fatalf("%+v %v", res, err)
	}
	rt := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil))
	rt.Header["kid"] = "r1"
	rss, _ := rt.SignedString(rk)
	if res, err := run(vj, bearer(rss), nil, now); err != nil || res.KeyID != "r1" {
		t.Fatalf("%+v %v", res, err)
	}
	if fetches != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", fetches)
	}
	et.Header["kid"] = "unknown"
	unk, _ := et.SignedString(ek)
	_, err = run(vj, bearer(unk), nil, now)
	wantReason(t, err, verify.ReasonUnknownKey)
}
