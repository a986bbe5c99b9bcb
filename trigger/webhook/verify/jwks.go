package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// jwksCache fetches a JWKS document and keeps it for jwksTTL. An unknown
// kid triggers a refetch (key rotation at the issuer), at most once per
// jwksMinRefetch so a flood of bad tokens cannot turn into a flood of
// outbound requests.
type jwksCache struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	set     []namedKey
	fetched time.Time
}

const (
	jwksTTL        = 10 * time.Minute
	jwksMinRefetch = 30 * time.Second
	maxJWKS        = 1 << 20
)

func newJWKSCache(url string, client *http.Client) *jwksCache {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &jwksCache{url: url, client: client}
}

func (c *jwksCache) lookup(ctx context.Context, kid string) ([]namedKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	age := time.Since(c.fetched)
	known := false
	for _, k := range c.set {
		if k.id == kid {
			known = true
		}
	}
	if c.fetched.IsZero() || age > jwksTTL || (kid != "" && !known && age > jwksMinRefetch) {
		keys, err := c.fetch(ctx)
		if err != nil {
			if c.set == nil {
				return nil, fail(verifyspec.SchemeJWT, ReasonKeySource, "fetching the JWKS: %v", err)
			}
		} else {
			c.set = keys
		}
		c.fetched = time.Now()
	}
	return c.set, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (c *jwksCache) fetch(ctx context.Context) ([]namedKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKS)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	return parseJWKs(doc.Keys), nil
}

// parseJWKs keeps the RSA and P-256 keys it can read and skips the rest.
func parseJWKs(in []jwk) []namedKey {
	var out []namedKey
	for _, k := range in {
		switch k.Kty {
		case "RSA":
			n, err1 := b64url(k.N)
			e, err2 := b64url(k.E)
			if err1 != nil || err2 != nil || len(e) > 4 || len(n) < 256 {
				continue
			}
			exp := new(big.Int).SetBytes(e).Int64()
			out = append(out, namedKey{id: k.Kid, key: &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}})
		case "EC":
			if k.Crv != "P-256" {
				continue
			}
			x, err1 := b64url(k.X)
			y, err2 := b64url(k.Y)
			if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
				continue
			}
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err != nil {
				continue
			}
			out = append(out, namedKey{id: k.Kid, key: pub})
		}
	}
	return out
}
