package credential

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// signJWT makes a fresh token for one request: iat now, exp now+ttl, a
// random jti, and the configured claims.
func (v *Vault) signJWT(l *loaded) (string, error) {
	alg := l.str("algorithm")
	ttl := 5 * time.Minute
	if s := l.str("ttl"); s != "" {
		d, err := weft.ParseDuration(s)
		if err != nil {
			return "", fmt.Errorf("credential %q: ttl: %w", l.rec.Name, err)
		}
		ttl = d.D()
	}
	now := v.cfg.Now()
	claims := map[string]any{}
	if c := l.str("claims"); c != "" {
		if err := json.Unmarshal([]byte(c), &claims); err != nil {
			return "", fmt.Errorf("credential %q: claims must be a JSON object: %w", l.rec.Name, weft.ErrInvalid)
		}
	}
	for k, f := range map[string]string{"iss": "issuer", "sub": "subject", "aud": "audience"} {
		if s := l.str(f); s != "" {
			claims[k] = s
		}
	}
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(ttl).Unix()
	claims["jti"] = hex.EncodeToString(jti[:])
	header := map[string]any{"alg": alg, "typ": "JWT"}
	if kid := l.str("key_id"); kid != "" {
		header["kid"] = kid
	}
	tok, err := SignJWT(alg, []byte(l.str("key")), header, claims)
	if err != nil {
		return "", fmt.Errorf("credential %q: %w", l.rec.Name, err)
	}
	v.red.Add(tok)
	return tok, nil
}

// SignJWT signs header and claims with alg (HS256, RS256 or ES256); key is
// the HMAC secret or a PEM private key.
func SignJWT(alg string, key []byte, header, claims map[string]any) (string, error) {
	h, _ := json.Marshal(header)
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "HS256":
		m := hmac.New(sha256.New, key)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case "RS256":
		k, err := parsePrivateKey(key)
		if err != nil {
			return "", err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return "", errors.New("RS256 needs an RSA private key")
		}
		sig, err = rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, digest[:])
		if err != nil {
			return "", fmt.Errorf("signing: %w", err)
		}
	case "ES256":
		k, err := parsePrivateKey(key)
		if err != nil {
			return "", err
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok || ek.Curve.Params().BitSize != 256 {
			return "", errors.New("ES256 needs a P-256 EC private key")
		}
		r, s, err := ecdsa.Sign(rand.Reader, ek, digest[:])
		if err != nil {
			return "", fmt.Errorf("signing: %w", err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default:
		return "", fmt.Errorf("unsupported JWT algorithm %q (HS256, RS256, ES256): %w", alg, weft.ErrInvalid)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

func parsePrivateKey(pemBytes []byte) (any, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("key is not PEM: %w", weft.ErrInvalid)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("key is not a PKCS#8, PKCS#1 or SEC 1 private key: %w", weft.ErrInvalid)
}
