package verify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v84/github"
	"github.com/slack-go/slack"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/weftworks/weft/signature"
	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

var body = []byte(`{"id":"evt_1","type":"invoice.paid","data":{"object":{"amount":4200}}}`)

func newVerifier(t *testing.T, c verifyspec.Config) verify.Verifier {
	t.Helper()
	v, err := verify.New(c, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func run(v verify.Verifier, h http.Header, b []byte, now time.Time, secrets ...verify.Secret) (verify.Result, error) {
	return v.Verify(context.Background(), &verify.Request{Method: "POST", Header: h, Body: b, Now: now}, secrets)
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	var ve *verify.Error
	if !errors.As(err, &ve) || ve.Reason != reason {
		t.Fatalf("err = %v, want reason %s", err, reason)
	}
}

func sec(id, v string) verify.Secret { return verify.Secret{ID: id, Value: []byte(v)} }

// TestStripe: signatures produced by stripe-go's webhook.GenerateTestSignedPayload.
func TestStripe(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test_stripe_secret"
	now := time.Now()
	v := newVerifier(t, verifyspec.Config{Scheme: "stripe", Credential: "c"})
	signed := func(b []byte, secret string, ts time.Time) http.Header {
		p := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: b, Secret: secret, Timestamp: ts})
		h := http.Header{}
		h.Set("Stripe-Signature", p.Header)
		return h
	}
	res, err := run(v, signed(body, secret, now), body, now, sec("old", "whsec_retired"), sec("current", secret))
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheme != "stripe" || res.KeyID != "current" || res.Timestamp == nil {
		t.Fatalf("result = %+v", res)
	}
	tampered := append([]byte{}, body...)
	tampered[10] ^= 1
	_, err = run(v, signed(body, secret, now), tampered, now, sec("k", secret))
	wantReason(t, err, verify.ReasonBadSignature)
	_, err = run(v, signed(body, "whsec_wrong", now), body, now, sec("k", secret))
	wantReason(t, err, verify.ReasonBadSignature)
	_, err = run(v, signed(body, secret, now.Add(-6*time.Minute)), body, now, sec("k", secret))
	wantReason(t, err, verify.ReasonStale)
	_, err = run(v, signed(body, secret, now.Add(6*time.Minute)), body, now, sec("k", secret))
	wantReason(t, err, verify.ReasonFuture)
	_, err = run(v, http.Header{}, body, now, sec("k", secret))
	wantReason(t, err, verify.ReasonMissingHeader)
	dup := signed(body, secret, now)
	dup.Add("Stripe-Signature", signed(body, "whsec_x", now).Get("Stripe-Signature"))
	_, err = run(v, dup, body, now, sec("k", secret))
	wantReason(t, err, verify.ReasonDuplicateHeader)
	_, err = run(v, signed(body, secret, now), body[:len(body)-5], now, sec("k", secret))
	wantReason(t, err, verify.ReasonBadSignature) // truncated body
	_, err = run(v, signed(body, secret, now), body, now)
	wantReason(t, err, verify.ReasonNoSecret)

	// Several v1 values (Stripe sends one per active secret while rolling).
	h := signed(body, secret, now)
	extra := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: "whsec_new", Timestamp: now})
	h.Set("Stripe-Signature", h.Get("Stripe-Signature")+",v1="+hex.EncodeToString(extra.Signature))
	if res, err := run(v, h, body, now, sec("new", "whsec_new")); err != nil || res.KeyID != "new" {
		t.Fatalf("second v1: %+v %v", res, err)
	}
}

// TestGitHub: the signature is checked by go-github's ValidatePayload before
// Weft sees it (go-github has no exported signer).
func TestGitHub(t *testing.T) {
	t.Parallel()
	secret := []byte("gh-secret")
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	sig := "sha256=" + hex.EncodeToString(m.Sum(nil))
	req, _ := http.NewRequest("POST", "http://x/hooks/gh", bytesReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(github.SHA256SignatureHeader, sig)
	if _, err := github.ValidatePayload(req, secret); err != nil {
		t.Fatalf("go-github rejects the test signature: %v", err)
	}
	v := newVerifier(t, verifyspec.Config{Scheme: "github", Credential: "c"})
	now := time.Now()
	if res, err := run(v, req.Header, body, now, sec("gh1", string(secret))); err != nil || res.KeyID != "gh1" {
		t.Fatalf("%+v %v", res, err)
	}
	_, err := run(v, req.Header, append([]byte(" "), body...), now, sec("gh1", string(secret)))
	wantReason(t, err, verify.ReasonBadSignature)
	_, err = run(v, req.Header, body, now, sec("gh1", "other"))
	wantReason(t, err, verify.ReasonBadSignature)
	h := req.Header.Clone()
	h.Set(github.SHA256SignatureHeader, "sha1="+hex.EncodeToString(m.Sum(nil)))
	_, err = run(v, h, body, now, sec("gh1", string(secret)))
	wantReason(t, err, verify.ReasonMalformed)
}

// TestSlack: the test signs, slack-go's SecretsVerifier accepts it, then
// Weft must too; and a header Weft rejects is one slack-go rejects.
func TestSlack(t *testing.T) {
	t.Parallel()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	now := time.Now()
	sign := func(b []byte, secret string, ts time.Time) http.Header {
		s := strconv.FormatInt(ts.Unix(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("v0:" + s + ":"))
		m.Write(b)
		h := http.Header{}
		h.Set("X-Slack-Request-Timestamp", s)
		h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		return h
	}
	slackOK := func(h http.Header, b []byte) bool {
		sv, err := slack.NewSecretsVerifier(h, secret)
		if err != nil {
			return false
		}
		sv.Write(b)
		return sv.Ensure() == nil
	}
	h := sign(body, secret, now)
	if !slackOK(h, body) {
		t.Fatal("slack-go rejects the test signature")
	}
	v := newVerifier(t, verifyspec.Config{Scheme: "slack", Credential: "c"})
	if res, err := run(v, h, body, now, sec("s", secret)); err != nil || res.KeyID != "s" {
		t.Fatalf("%+v %v", res, err)
	}
	for _, tc := range []struct {
		name   string
		h      http.Header
		b      []byte
		reason string
	}{
		{"tampered", h, append([]byte{}, append(body, ' ')...), verify.ReasonBadSignature},
		{"wrong secret", sign(body, "nope", now), body, verify.ReasonBadSignature},
		{"stale", sign(body, secret, now.Add(-10*time.Minute)), body, verify.ReasonStale},
		{"future", sign(body, secret, now.Add(10*time.Minute)), body, verify.ReasonFuture},
	} {
		if slackOK(tc.h, tc.b) {
			t.Errorf("%s: slack-go accepts what Weft must reject", tc.name)
		}
		_, err := run(v, tc.h, tc.b, now, sec("s", secret))
		wantReason(t, err, tc.reason)
	}
}

// TestStandardWebhooks: signatures from the Standard Webhooks reference
// library for Go (github.com/standard-webhooks/standard-webhooks/libraries/go).
func TestStandardWebhooks(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a 24 byte secret for tst"))
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sign := func(prefix, id string, ts time.Time, b []byte) http.Header {
		sig, err := wh.Sign(id, ts, b)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(prefix+"id", id)
		h.Set(prefix+"timestamp", strconv.FormatInt(ts.Unix(), 10))
		h.Set(prefix+"signature", "v1,bm90IHRoaXMgb25lIGJ1dCBhIDMyIGJ5dGUgc2lnbmF0dXJlIQ== "+sig)
		return h
	}
	for _, scheme := range []string{"standard-webhooks", "svix"} {
		prefix := "webhook-"
		if scheme == "svix" {
			prefix = "svix-" // Svix sends the same format under svix-* names
		}
		v := newVerifier(t, verifyspec.Config{Scheme: scheme, Credential: "c"})
		h := sign(prefix, "msg_1", now, body)
		if res, err := run(v, h, body, now, sec("rot-old", "whsec_"+base64.StdEncoding.EncodeToString([]byte("old"))), sec("rot-new", secret)); err != nil || res.KeyID != "rot-new" {
			t.Fatalf("%s: %+v %v", scheme, res, err)
		}
		_, err := run(v, h, []byte(`{}`), now, sec("k", secret))
		wantReason(t, err, verify.ReasonBadSignature)
		_, err = run(v, sign(prefix, "msg_1", now.Add(-time.Hour), body), body, now, sec("k", secret))
		wantReason(t, err, verify.ReasonStale)
		_, err = run(v, sign(prefix, "msg_1", now.Add(time.Hour), body), body, now, sec("k", secret))
		wantReason(t, err, verify.ReasonFuture)
		h2 := h.Clone()
		h2.Set(prefix+"id", "msg_2") // the id is signed: replaying under a new id fails
		_, err = run(v, h2, body, now, sec("k", secret))
		wantReason(t, err, verify.ReasonBadSignature)
		h3 := h.Clone()
		h3.Add(prefix+"signature", "v1,AAAA")
		_, err = run(v, h3, body, now, sec("k", secret))
		wantReason(t, err, verify.ReasonDuplicateHeader)
		h4 := h.Clone()
		h4.Del(prefix + "timestamp")
		_, err = run(v, h4, body, now, sec("k", secret))
		wantReason(t, err, verify.ReasonMissingHeader)
	}
	// And what Weft signs (outbound), the reference library verifies.
	id, ts := "msg_out", time.Now()
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("webhook-signature", signature.Sign([]byte(secret), id, ts, body))
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("reference library rejects signature.Sign: %v", err)
	}
}

// TestShopify: no Shopify Go library is served by the module proxy; the
// signature follows Shopify's documented recipe (base64 HMAC-SHA256 of the
// raw body with the app's client secret).
func TestShopify(t *testing.T) {
	t.Parallel()
	m := hmac.New(sha256.New, []byte("shpss_secret"))
	m.Write(body)
	h := http.Header{}
	h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	v := newVerifier(t, verifyspec.Config{Scheme: "shopify", Credential: "c"})
	now := time.Now()
	if _, err := run(v, h, body, now, sec("a", "shpss_secret")); err != nil {
		t.Fatal(err)
	}
	_, err := run(v, h, body[1:], now, sec("a", "shpss_secret"))
	wantReason(t, err, verify.ReasonBadSignature)
}

// TestGenericHMAC covers the configurable scheme with a Slack-like layout.
func TestGenericHMAC(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	m := hmac.New(sha256.New, []byte("k"))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	h := http.Header{}
	h.Set("X-Sig", "sha256="+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	h.Set("X-Ts", ts)
	v := newVerifier(t, verifyspec.Config{Scheme: "hmac", Credential: "c", Header: "X-Sig", Prefix: "sha256=", Encoding: "base64",
		TimestampHeader: "X-Ts", Template: "v0:{timestamp}:{body}"})
	if _, err := run(v, h, body, now, sec("a", "k")); err != nil {
		t.Fatal(err)
	}
	_, err := run(v, h, body, now.Add(time.Hour), sec("a", "k"))
	wantReason(t, err, verify.ReasonStale)
	_, err = run(v, h, body, now, sec("a", "j"))
	wantReason(t, err, verify.ReasonBadSignature)
	// sha1, hex, no timestamp.
	m1 := hmac.New(newSHA1, []byte("k"))
	m1.Write(body)
	h1 := http.Header{}
	h1.Set("X-Sig", hex.EncodeToString(m1.Sum(nil)))
	v1 := newVerifier(t, verifyspec.Config{Scheme: "hmac", Credential: "c", Header: "X-Sig", Algorithm: "sha1"})
	if _, err := run(v1, h1, body, now, sec("a", "k")); err != nil {
		t.Fatal(err)
	}
}

func TestBasicBearer(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newVerifier(t, verifyspec.Config{Scheme: "basic", Credential: "c"})
	h := http.Header{}
	req, _ := http.NewRequest("POST", "http://x", nil)
	req.SetBasicAuth("crm", "pw")
	h.Set("Authorization", req.Header.Get("Authorization"))
	if res, err := run(b, h, nil, now, sec("a", "crm:pw")); err != nil || res.Subject != "crm" {
		t.Fatalf("%+v %v", res, err)
	}
	_, err := run(b, h, nil, now, sec("a", "crm:other"))
	wantReason(t, err, verify.ReasonBadCredentials)

	br := newVerifier(t, verifyspec.Config{Scheme: "bearer", Credential: "c"})
	h.Set("Authorization", "Bearer tok-123")
	if _, err := run(br, h, nil, now, sec("a", "tok-123")); err != nil {
		t.Fatal(err)
	}
	_, err = run(br, h, nil, now, sec("a", "tok-124"))
	wantReason(t, err, verify.ReasonBadCredentials)
	h.Del("Authorization")
	_, err = run(br, h, nil, now, sec("a", "tok-123"))
	wantReason(t, err, verify.ReasonMissingHeader)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   verifyspec.Config
		want []string
	}{
		{verifyspec.Config{Scheme: "stripe"}, []string{"verify.credential: is required for scheme stripe"}},
		{verifyspec.Config{Scheme: "nope", Credential: "c"}, []string{`verify.scheme: "nope" is not a verify scheme; use one of hmac`}},
		{verifyspec.Config{Scheme: "hmac-sha256", Credential: "c"}, []string{"write scheme: hmac with algorithm: sha256"}},
		{verifyspec.Config{Scheme: "hmac"}, []string{"verify.credential: is required", "verify.header: is required"}},
		{verifyspec.Config{Scheme: "hmac", Credential: "c", Header: "X-Sig", Algorithm: "md5", Encoding: "b32", Template: "{timestamp}.{body}"},
			[]string{"verify.algorithm", "verify.encoding", "verify.template"}},
		{verifyspec.Config{Scheme: "mtls"}, []string{"verify.ca: is required"}},
		{verifyspec.Config{Scheme: "mtls", CA: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"}, []string{"verify.ca: holds no PEM certificate"}},
		{verifyspec.Config{Scheme: "jwt"}, []string{"verify: scheme jwt needs a key source"}},
		{verifyspec.Config{Scheme: "jwt", JWKSURL: "idp.example.com", Algorithms: []string{"none"}}, []string{"verify.algorithms", "verify.jwks_url"}},
	} {
		ps := tc.in.Problems()
		if len(ps) != len(tc.want) {
			t.Errorf("%+v: problems = %v, want %d", tc.in, ps, len(tc.want))
			continue
		}
		for i, p := range ps {
			if !contains(p.Error(), tc.want[i]) {
				t.Errorf("%+v: problem %d = %q, want %q", tc.in, i, p, tc.want[i])
			}
		}
		if err := tc.in.Validate(); err == nil || err.Error() != ps[0].Error() {
			t.Errorf("%+v: Validate = %v, want the first problem", tc.in, err)
		}
	}
	for _, ok := range []verifyspec.Config{
		{Scheme: "stripe", Credential: "a"},
		{Scheme: "jwt", JWKSURL: "https://idp.example.com/jwks"},
		{Scheme: "mtls", CA: "/etc/weft/ca.pem"},
	} {
		if ps := ok.Problems(); len(ps) != 0 {
			t.Errorf("%+v: %v", ok, ps)
		}
	}
}
