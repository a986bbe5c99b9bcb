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

// Options are what verifiers borrow from the process.
type Options struct {
	// HTTP fetches JWKS documents (the SSRF-guarded client in production).
	HTTP *http.Client
}

// New builds the verifier of c.
func New(c verifyspec.Config, opts Options) (Verifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tol := c.Tolerance
	if tol <= 0 {
		tol = verifyspec.DefaultTolerance
	}
	switch c.Scheme {
	case verifyspec.SchemeHMAC:
		return newGenericHMAC(c, tol), nil
	case verifyspec.SchemeStripe:
		return stripeVerifier{tolerance: tol}, nil
	case verifyspec.SchemeGitHub:
		return githubVerifier{}, nil
	case verifyspec.SchemeSlack:
		return slackVerifier{tolerance: tol}, nil
	case verifyspec.SchemeStandardWebhooks:
		return standardVerifier{scheme: verifyspec.SchemeStandardWebhooks, prefix: "webhook-", tolerance: tol}, nil
	case verifyspec.SchemeSvix:
		return standardVerifier{scheme: verifyspec.SchemeSvix, prefix: "svix-", fallback: "webhook-", tolerance: tol}, nil
	case verifyspec.SchemeShopify:
		return shopifyVerifier{}, nil
	case verifyspec.SchemeHubSpot:
		return hubspotVerifier{tolerance: tol}, nil
	case verifyspec.SchemeBasic:
		return basicVerifier{}, nil
	case verifyspec.SchemeBearer:
		return bearerVerifier{header: c.Header}, nil
	case verifyspec.SchemeJWT:
		return newJWTVerifier(c, tol, opts)
	case verifyspec.SchemeMTLS:
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
