package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// jwtLeeway absorbs clock skew on exp and nbf.
const jwtLeeway = 30 * time.Second

// maxJWT bounds the token a caller can make us parse.
const maxJWT = 16 << 10

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// jwtClaims are the registered claims Weft checks. Aud may be a string or
// a list; numbers may be fractional.
type jwtClaims struct {
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
	Iat *float64        `json:"iat"`
	Aud json.RawMessage `json:"aud"`
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
}

// parsedJWT is a token split and decoded, not yet verified.
type parsedJWT struct {
	header       jwtHeader
	claims       jwtClaims
	signingInput []byte
	sig          []byte
}

func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseJWT splits a compact JWS and decodes its header and claims.
func parseJWT(tok string) (*parsedJWT, error) {
	if len(tok) > maxJWT {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token is longer than %d bytes", maxJWT)
	}
	h, rest, ok1 := strings.Cut(tok, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token is not three dot-separated parts")
	}
	hb, err := b64url(h)
	if err != nil {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token header is not base64url")
	}
	pb, err := b64url(p)
	if err != nil {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token payload is not base64url")
	}
	sig, err := b64url(s)
	if err != nil {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token signature is not base64url")
	}
	out := &parsedJWT{signingInput: []byte(tok[:len(h)+1+len(p)]), sig: sig}
	if err := json.Unmarshal(hb, &out.header); err != nil {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token header is not a JSON object")
	}
	if err := json.Unmarshal(pb, &out.claims); err != nil {
		return nil, fail(verifyspec.SchemeJWT, ReasonMalformed, "token payload is not a JSON object of claims")
	}
	return out, nil
}

func (c jwtClaims) audiences() []string {
	if len(c.Aud) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(c.Aud, &many)
	return many
}

type jwtVerifier struct {
	cfg        verifyspec.Config
	algs       []string
	static     crypto.PublicKey // from public_key
	jwks       *jwksCache
	tolerance  time.Duration
	authHeader bool
	header     string
}

func newJWTVerifier(c verifyspec.Config, tol time.Duration, opts Options) (*jwtVerifier, error) {
	v := &jwtVerifier{cfg: c, algs: c.Algorithms, tolerance: tol, header: c.Header}
	if v.header == "" {
		v.header = "Authorization"
	}
	v.authHeader = strings.EqualFold(v.header, "Authorization")
	if len(v.algs) == 0 {
		if c.PublicKey != "" || c.JWKSURL != "" {
			v.algs = []string{"RS256", "ES256"}
		} else {
			v.algs = []string{"HS256"}
		}
	}
	if c.PublicKey != "" {
		k, err := parsePublicKey([]byte(c.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("verify.public_key: %w", err)
		}
		v.static = k
	}
	if c.JWKSURL != "" {
		v.jwks = newJWKSCache(c.JWKSURL, opts.HTTP)
	}
	return v, nil
}

func (v *jwtVerifier) Verify(ctx context.Context, r *Request, secrets []Secret) (Result, error) {
	res := Result{Scheme: verifyspec.SchemeJWT}
	hv, err := single(verifyspec.SchemeJWT, r.Header, v.header)
	if err != nil {
		return res, err
	}
	tok := hv
	if v.authHeader {
		var ok bool
		if tok, ok = cutPrefixFold(hv, "Bearer "); !ok {
			return res, fail(verifyspec.SchemeJWT, ReasonMalformed, "Authorization is not Bearer")
		}
		tok = strings.TrimSpace(tok)
	}
	t, err := parseJWT(tok)
	if err != nil {
		return res, err
	}
	if !slices.Contains(v.algs, t.header.Alg) {
		return res, fail(verifyspec.SchemeJWT, ReasonAlgorithm, "token algorithm %q is not allowed here (allowed: %s)", t.header.Alg, strings.Join(v.algs, ", "))
	}
	keyID, err := v.checkSignature(ctx, t, secrets)
	if err != nil {
		return res, err
	}
	now := r.Now
	c := t.claims
	if c.Exp != nil && now.After(unixFloat(*c.Exp).Add(jwtLeeway)) {
		return res, fail(verifyspec.SchemeJWT, ReasonExpired, "token expired at %s", unixFloat(*c.Exp).UTC().Format(time.RFC3339))
	}
	if c.Nbf != nil && now.Add(jwtLeeway).Before(unixFloat(*c.Nbf)) {
		return res, fail(verifyspec.SchemeJWT, ReasonNotYetValid, "token is not valid before %s", unixFloat(*c.Nbf).UTC().Format(time.RFC3339))
	}
	if v.cfg.Audience != "" && !slices.Contains(c.audiences(), v.cfg.Audience) {
		return res, fail(verifyspec.SchemeJWT, ReasonAudience, "token audience does not include %q", v.cfg.Audience)
	}
	if v.cfg.Issuer != "" && c.Iss != v.cfg.Issuer {
		return res, fail(verifyspec.SchemeJWT, ReasonIssuer, "token issuer %q is not %q", c.Iss, v.cfg.Issuer)
	}
	res.KeyID, res.Subject = keyID, c.Sub
	if c.Iat != nil {
		ts := unixFloat(*c.Iat)
		res.Timestamp = &ts
	}
	return res, nil
}

func unixFloat(f float64) time.Time {
	if f > 1<<40 {
		f = 1 << 40
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9))
}

// checkSignature verifies the signature with the key the header selects and
// returns the key's id.
func (v *jwtVerifier) checkSignature(ctx context.Context, t *parsedJWT, secrets []Secret) (string, error) {
	switch t.header.Alg {
	case "HS256":
		if err := noSecret(verifyspec.SchemeJWT, secrets); err != nil {
			return "", err
		}
		cands := secrets
		if t.header.Kid != "" {
			cands = nil
			for _, s := range secrets {
				if s.ID == t.header.Kid {
					cands = append(cands, s)
				}
			}
			if len(cands) == 0 {
				return "", fail(verifyspec.SchemeJWT, ReasonUnknownKey, "no active secret has key id %q", t.header.Kid)
			}
		}
		if id, ok := matchAny(sha256.New, cands, [][]byte{t.sig}, t.signingInput); ok {
			return id, nil
		}
		return "", fail(verifyspec.SchemeJWT, ReasonBadSignature, "no active secret produces the token's HS256 signature")
	case "RS256", "ES256":
		keys, err := v.publicKeys(ctx, t.header.Kid, secrets)
		if err != nil {
			return "", err
		}
		digest := sha256.Sum256(t.signingInput)
		for _, k := range keys {
			if verifyAsym(t.header.Alg, k.key, digest[:], t.sig) {
				return k.id, nil
			}
		}
		return "", fail(verifyspec.SchemeJWT, ReasonBadSignature, "no key verifies the token's %s signature", t.header.Alg)
	}
	return "", fail(verifyspec.SchemeJWT, ReasonAlgorithm, "token algorithm %q is not supported", t.header.Alg)
}

type namedKey struct {
	id  string
	key crypto.PublicKey
}

func (v *jwtVerifier) publicKeys(ctx context.Context, kid string, secrets []Secret) ([]namedKey, error) {
	var keys []namedKey
	if v.static != nil {
		keys = append(keys, namedKey{id: "public_key", key: v.static})
	}
	for _, s := range secrets {
		if k, err := parsePublicKey(s.Value); err == nil {
			keys = append(keys, namedKey{id: s.ID, key: k})
		}
	}
	if v.jwks != nil {
		ks, err := v.jwks.lookup(ctx, kid)
		if err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	if kid != "" {
		var match []namedKey
		for _, k := range keys {
			if k.id == kid || k.id == "public_key" {
				match = append(match, k)
			}
		}
		keys = match
	}
	if len(keys) == 0 {
		if kid != "" {
			return nil, fail(verifyspec.SchemeJWT, ReasonUnknownKey, "no key has id %q", kid)
		}
		return nil, fail(verifyspec.SchemeJWT, ReasonNoSecret, "no public key is configured")
	}
	return keys, nil
}

func verifyAsym(alg string, key crypto.PublicKey, digest, sig []byte) bool {
	switch alg {
	case "RS256":
		k, ok := key.(*rsa.PublicKey)
		return ok && rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	case "ES256":
		k, ok := key.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() || len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k, digest, r, s)
	}
	return false
}

func parsePublicKey(b []byte) (crypto.PublicKey, error) { return verifyspec.ParsePublicKey(b) }
