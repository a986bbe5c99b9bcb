package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

// Config is one entry of on.webhook.verify; it and its checks live in
// package verifyspec, which imports no verification code, so the workflow
// parser (and through it the engine) can check a verify block without
// linking the verifiers.
type Config = verifyspec.Config

// ConfigError is a problem with one key of a verify entry.
type ConfigError = verifyspec.ConfigError

// Algorithm and encoding names, for validation messages and the JSON Schema.
var (
	HMACAlgorithms = verifyspec.HMACAlgorithms
	HMACEncodings  = verifyspec.HMACEncodings
	JWTAlgorithms  = verifyspec.JWTAlgorithms
)

// ConfigKeys lists the keys of a verify entry (for the JSON Schema).
func ConfigKeys() []string { return verifyspec.ConfigKeys() }

// Requires lists the keys scheme needs besides scheme itself.
func Requires(scheme string) []string { return verifyspec.Requires(scheme) }

// Options are what verifiers borrow from the process.
type Options struct {
	// HTTP fetches JWKS documents (the SSRF-guarded client in production).
	HTTP *http.Client
}

// New builds the verifier of c.
func New(c Config, opts Options) (Verifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tol := c.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	switch c.Scheme {
	case SchemeHMAC:
		return newGenericHMAC(c, tol), nil
	case SchemeStripe:
		return stripeVerifier{tolerance: tol}, nil
	case SchemeGitHub:
		return githubVerifier{}, nil
	case SchemeSlack:
		return slackVerifier{tolerance: tol}, nil
	case SchemeStandardWebhooks:
		return standardVerifier{scheme: SchemeStandardWebhooks, prefix: "webhook-", tolerance: tol}, nil
	case SchemeSvix:
		return standardVerifier{scheme: SchemeSvix, prefix: "svix-", fallback: "webhook-", tolerance: tol}, nil
	case SchemeShopify:
		return shopifyVerifier{}, nil
	case SchemeBasic:
		return basicVerifier{}, nil
	case SchemeBearer:
		return bearerVerifier{header: c.Header}, nil
	case SchemeJWT:
		return newJWTVerifier(c, tol, opts)
	case SchemeMTLS:
		pem := []byte(c.CA)
		if !strings.Contains(c.CA, "-----BEGIN") {
			b, err := os.ReadFile(c.CA)
			if err != nil {
				return nil, fmt.Errorf("verify.ca: reading %s: %w", c.CA, err)
			}
			pem = b
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("verify.ca holds no PEM certificate")
		}
		return mtlsVerifier{pool: pool, subjects: c.Subjects}, nil
	}
	return nil, fmt.Errorf("verify.scheme %q is not supported", c.Scheme)
}
