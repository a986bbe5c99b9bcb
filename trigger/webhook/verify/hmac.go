package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

func hashFor(alg string) func() hash.Hash {
	switch strings.ToLower(alg) {
	case "", "sha256":
		return sha256.New
	case "sha1":
		return sha1.New
	case "sha512":
		return sha512.New
	}
	return nil
}

// mac computes HMAC(key, parts...).
func mac(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// matchAny returns the id of the first secret whose MAC over parts equals
// one of the given signatures. hmac.Equal is constant-time; every secret and
// signature is tried so timing does not tell which one matched.
func matchAny(h func() hash.Hash, secrets []Secret, sigs [][]byte, parts ...[]byte) (string, bool) {
	found, id := false, ""
	for _, s := range secrets {
		if len(s.Value) == 0 {
			continue
		}
		want := mac(h, s.Value, parts...)
		for _, sig := range sigs {
			if hmac.Equal(want, sig) && !found {
				found, id = true, s.ID
			}
		}
	}
	return id, found
}

// genericHMAC is the configurable scheme.
type genericHMAC struct {
	hash      func() hash.Hash
	header    string
	encoding  string
	prefix    string
	tsHeader  string
	template  []string // literal and {placeholder} pieces
	tolerance time.Duration
}

func newGenericHMAC(c verifyspec.Config, tol time.Duration) *genericHMAC {
	tmpl := c.Template
	if tmpl == "" {
		tmpl = "{body}"
		if c.TimestampHeader != "" {
			tmpl = "{timestamp}.{body}"
		}
	}
	return &genericHMAC{hash: hashFor(c.Algorithm), header: c.Header, encoding: c.Encoding, prefix: c.Prefix,
		tsHeader: c.TimestampHeader, template: splitTemplate(tmpl), tolerance: tol}
}

// splitTemplate splits "v0:{timestamp}:{body}" into literal and placeholder pieces.
func splitTemplate(t string) []string {
	var out []string
	for t != "" {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			out = append(out, t)
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			out = append(out, t)
			break
		}
		if i > 0 {
			out = append(out, t[:i])
		}
		out = append(out, t[i:i+j+1])
		t = t[i+j+1:]
	}
	return out
}

func (g *genericHMAC) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeHMAC}
	if err := noSecret(verifyspec.SchemeHMAC, secrets); err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeHMAC, r.Header, g.header)
	if err != nil {
		return res, err
	}
	var ts string
	if g.tsHeader != "" {
		if ts, err = single(verifyspec.SchemeHMAC, r.Header, g.tsHeader); err != nil {
			return res, err
		}
		t, err := parseUnix(verifyspec.SchemeHMAC, g.tsHeader, ts)
		if err != nil {
			return res, err
		}
		if err := checkTimestamp(verifyspec.SchemeHMAC, t, r.Now, g.tolerance); err != nil {
			return res, err
		}
		res.Timestamp = &t
	}
	if g.prefix != "" {
		if !strings.HasPrefix(v, g.prefix) {
			return res, fail(verifyspec.SchemeHMAC, ReasonMalformed, "header %s does not start with %q", g.header, g.prefix)
		}
		v = v[len(g.prefix):]
	}
	sig, err := decodeSig(g.encoding, v)
	if err != nil {
		return res, fail(verifyspec.SchemeHMAC, ReasonMalformed, "header %s is not %s", g.header, encName(g.encoding))
	}
	parts := make([][]byte, 0, len(g.template))
	for _, p := range g.template {
		switch p {
		case "{body}":
			parts = append(parts, r.Body)
		case "{timestamp}":
			parts = append(parts, []byte(ts))
		case "{method}":
			parts = append(parts, []byte(r.Method))
		case "{url}":
			if r.URL != nil {
				parts = append(parts, []byte(r.URL.String()))
			}
		default:
			parts = append(parts, []byte(p))
		}
	}
	id, ok := matchAny(g.hash, secrets, [][]byte{sig}, parts...)
	if !ok {
		return res, fail(verifyspec.SchemeHMAC, ReasonBadSignature, "no active secret produces the signature in %s", g.header)
	}
	res.KeyID = id
	return res, nil
}

func encName(e string) string {
	if e == "" {
		return "hex"
	}
	return e
}

func decodeSig(enc, v string) ([]byte, error) {
	if enc == "base64" {
		return base64.StdEncoding.DecodeString(v)
	}
	return hex.DecodeString(v)
}

// githubVerifier checks X-Hub-Signature-256: sha256=<hex> over the body.
type githubVerifier struct{}

func (githubVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeGitHub}
	if err := noSecret(verifyspec.SchemeGitHub, secrets); err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeGitHub, r.Header, "X-Hub-Signature-256")
	if err != nil {
		return res, err
	}
	hexSig, ok := strings.CutPrefix(v, "sha256=")
	if !ok {
		return res, fail(verifyspec.SchemeGitHub, ReasonMalformed, "X-Hub-Signature-256 does not start with sha256=")
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return res, fail(verifyspec.SchemeGitHub, ReasonMalformed, "X-Hub-Signature-256 is not a hex SHA-256 MAC")
	}
	id, ok := matchAny(sha256.New, secrets, [][]byte{sig}, r.Body)
	if !ok {
		return res, fail(verifyspec.SchemeGitHub, ReasonBadSignature, "no active secret produces X-Hub-Signature-256")
	}
	res.KeyID = id
	return res, nil
}

// shopifyVerifier checks X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the body.
type shopifyVerifier struct{}

func (shopifyVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeShopify}
	if err := noSecret(verifyspec.SchemeShopify, secrets); err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeShopify, r.Header, "X-Shopify-Hmac-Sha256")
	if err != nil {
		return res, err
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) != sha256.Size {
		return res, fail(verifyspec.SchemeShopify, ReasonMalformed, "X-Shopify-Hmac-Sha256 is not a base64 SHA-256 MAC")
	}
	id, ok := matchAny(sha256.New, secrets, [][]byte{sig}, r.Body)
	if !ok {
		return res, fail(verifyspec.SchemeShopify, ReasonBadSignature, "no active secret produces X-Shopify-Hmac-Sha256")
	}
	res.KeyID = id
	return res, nil
}

// slackVerifier checks X-Slack-Signature: v0=<hex HMAC of "v0:ts:body">.
type slackVerifier struct{ tolerance time.Duration }

func (s slackVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeSlack}
	if err := noSecret(verifyspec.SchemeSlack, secrets); err != nil {
		return res, err
	}
	ts, err := single(verifyspec.SchemeSlack, r.Header, "X-Slack-Request-Timestamp")
	if err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeSlack, r.Header, "X-Slack-Signature")
	if err != nil {
		return res, err
	}
	t, err := parseUnix(verifyspec.SchemeSlack, "X-Slack-Request-Timestamp", ts)
	if err != nil {
		return res, err
	}
	if err := checkTimestamp(verifyspec.SchemeSlack, t, r.Now, s.tolerance); err != nil {
		return res, err
	}
	hexSig, ok := strings.CutPrefix(v, "v0=")
	if !ok {
		return res, fail(verifyspec.SchemeSlack, ReasonMalformed, "X-Slack-Signature does not start with v0=")
	}
	sig, err := hex.DecodeString(hexSig)
	if err != nil || len(sig) != sha256.Size {
		return res, fail(verifyspec.SchemeSlack, ReasonMalformed, "X-Slack-Signature is not a hex SHA-256 MAC")
	}
	id, ok := matchAny(sha256.New, secrets, [][]byte{sig}, []byte("v0:"), []byte(ts), []byte(":"), r.Body)
	if !ok {
		return res, fail(verifyspec.SchemeSlack, ReasonBadSignature, "no active secret produces X-Slack-Signature")
	}
	res.KeyID, res.Timestamp = id, &t
	return res, nil
}

// stripeVerifier checks Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…].
type stripeVerifier struct{ tolerance time.Duration }

// stripeHeader is a parsed Stripe-Signature header.
type stripeHeader struct {
	timestamp string
	v1        [][]byte
}

// parseStripeSignature parses Stripe-Signature. Unknown schemes (v0, future
// ones) are ignored as Stripe's own libraries do; t must appear exactly once.
func parseStripeSignature(v string) (stripeHeader, error) {
	var h stripeHeader
	seenT := false
	for _, item := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return h, fail(verifyspec.SchemeStripe, ReasonMalformed, "Stripe-Signature item is not key=value")
		}
		switch k {
		case "t":
			if seenT {
				return h, fail(verifyspec.SchemeStripe, ReasonMalformed, "Stripe-Signature has t twice")
			}
			seenT = true
			h.timestamp = val
		case "v1":
			sig, err := hex.DecodeString(val)
			if err != nil || len(sig) != sha256.Size {
				continue // a malformed v1 cannot match; others may
			}
			if len(h.v1) >= 16 {
				return h, fail(verifyspec.SchemeStripe, ReasonMalformed, "Stripe-Signature has more than 16 v1 signatures")
			}
			h.v1 = append(h.v1, sig)
		}
	}
	if !seenT {
		return h, fail(verifyspec.SchemeStripe, ReasonMalformed, "Stripe-Signature has no t=")
	}
	if len(h.v1) == 0 {
		return h, fail(verifyspec.SchemeStripe, ReasonMalformed, "Stripe-Signature has no v1 signature")
	}
	return h, nil
}

func (s stripeVerifier) Verify(_ context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeStripe}
	if err := noSecret(verifyspec.SchemeStripe, secrets); err != nil {
		return res, err
	}
	v, err := single(verifyspec.SchemeStripe, r.Header, "Stripe-Signature")
	if err != nil {
		return res, err
	}
	h, err := parseStripeSignature(v)
	if err != nil {
		return res, err
	}
	t, err := parseUnix(verifyspec.SchemeStripe, "Stripe-Signature t", h.timestamp)
	if err != nil {
		return res, err
	}
	if err := checkTimestamp(verifyspec.SchemeStripe, t, r.Now, s.tolerance); err != nil {
		return res, err
	}
	id, ok := matchAny(sha256.New, secrets, h.v1, []byte(h.timestamp), []byte("."), r.Body)
	if !ok {
		return res, fail(verifyspec.SchemeStripe, ReasonBadSignature, "no active secret produces a v1 signature of Stripe-Signature")
	}
	res.KeyID, res.Timestamp = id, &t
	return res, nil
}
