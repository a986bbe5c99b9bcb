package verify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verify"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// hubspotSign follows HubSpot's v3 recipe: base64(HMAC-SHA256(secret,
// method + uri + body + timestamp)), the timestamp in milliseconds.
func hubspotSign(secret, method, uri string, body []byte, ts time.Time) http.Header {
	ms := strconv.FormatInt(ts.UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri + string(body) + ms))
	h := http.Header{}
	h.Set("X-HubSpot-Request-Timestamp", ms)
	h.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return h
}

func TestHubSpotV3(t *testing.T) {
	t.Parallel()
	const secret = "hubspot-app-secret"
	now := time.Now()
	b := []byte(`[{"eventId":1,"subscriptionType":"contact.creation","objectId":123}]`)
	v := newVerifier(t, verifyspec.Config{Scheme: "hubspot", Credential: "c"})
	req := func(h http.Header, body []byte, rawURL, host, public string) *verify.Request {
		u, _ := url.Parse(rawURL)
		return &verify.Request{Method: "POST", URL: u, Host: host, PublicURL: public, Header: h, Body: body, Now: now}
	}
	check := func(r *verify.Request) error {
		_, err := v.Verify(context.Background(), r, []verify.Secret{{ID: "s", Value: []byte(secret)}})
		return err
	}
	// Behind a proxy: the public URL is what HubSpot called.
	h := hubspotSign(secret, "POST", "https://weft.example.com/hooks/hs?portal=42", b, now)
	if err := check(req(h, b, "/hooks/hs?portal=42", "10.0.0.5:8080", "https://weft.example.com/")); err != nil {
		t.Fatalf("signed for the public URL: %v", err)
	}
	// No --public-url: scheme and Host of the request.
	h2 := hubspotSign(secret, "POST", "http://hooks.example.com/hooks/hs", b, now)
	if err := check(req(h2, b, "/hooks/hs", "hooks.example.com", "")); err != nil {
		t.Fatalf("signed for the Host: %v", err)
	}
	// HubSpot decodes %3A and friends in the URI before signing.
	h3 := hubspotSign(secret, "POST", "https://weft.example.com/hooks/hs?at=12:00", b, now)
	if err := check(req(h3, b, "/hooks/hs?at=12%3A00", "x", "https://weft.example.com")); err != nil {
		t.Fatalf("encoded colon: %v", err)
	}
	for _, tc := range []struct {
		name   string
		h      http.Header
		body   []byte
		reason string
	}{
		{"tampered body", h, []byte(`[{"eventId":2}]`), verify.ReasonBadSignature},
		{"wrong secret", hubspotSign("nope", "POST", "https://weft.example.com/hooks/hs?portal=42", b, now), b, verify.ReasonBadSignature},
		{"other URL", hubspotSign(secret, "POST", "https://evil.example.com/hooks/hs?portal=42", b, now), b, verify.ReasonBadSignature},
		{"other method", hubspotSign(secret, "PUT", "https://weft.example.com/hooks/hs?portal=42", b, now), b, verify.ReasonBadSignature},
		{"older than 5 minutes", hubspotSign(secret, "POST", "https://weft.example.com/hooks/hs?portal=42", b, now.Add(-5*time.Minute-time.Second)), b, verify.ReasonStale},
		{"future", hubspotSign(secret, "POST", "https://weft.example.com/hooks/hs?portal=42", b, now.Add(6*time.Minute)), b, verify.ReasonFuture},
		{"seconds, not milliseconds", func() http.Header {
			x := h.Clone()
			x.Set("X-HubSpot-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
			return x
		}(), b, verify.ReasonStale},
		{"not a number", func() http.Header { x := h.Clone(); x.Set("X-HubSpot-Request-Timestamp", "soon"); return x }(), b, verify.ReasonMalformed},
		{"not base64", func() http.Header { x := h.Clone(); x.Set("X-HubSpot-Signature-v3", "%%%"); return x }(), b, verify.ReasonMalformed},
		{"no signature", func() http.Header { x := h.Clone(); x.Del("X-HubSpot-Signature-v3"); return x }(), b, verify.ReasonMissingHeader},
	} {
		err := check(req(tc.h, tc.body, "/hooks/hs?portal=42", "x", "https://weft.example.com"))
		wantReason(t, err, tc.reason)
	}
	// Within the tolerance: 4 minutes old passes.
	h4 := hubspotSign(secret, "POST", "https://weft.example.com/hooks/hs?portal=42", b, now.Add(-4*time.Minute))
	if err := check(req(h4, b, "/hooks/hs?portal=42", "x", "https://weft.example.com")); err != nil {
		t.Fatalf("4 minutes old: %v", err)
	}
}
