package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// Config is one entry of on.webhook.verify. Secrets are never part of it:
// Credential names the credential that holds them.
type Config struct {
	Scheme     string
	Credential string
	// Tolerance bounds the age (and future skew) of a signed timestamp.
	Tolerance time.Duration

	// hmac: Algorithm sha1, sha256 (default) or sha512; Header carries the
	// signature; Encoding hex (default) or base64; Prefix is stripped from
	// the header value (like "sha256="); TimestampHeader, when set, is
	// checked against Tolerance; Template is the signed content, with
	// {body}, {timestamp}, {method} and {url} (default "{body}", or
	// "{timestamp}.{body}" with a timestamp header).
	Algorithm       string
	Header          string
	Encoding        string
	Prefix          string
	TimestampHeader string
	Template        string

	// jwt: Algorithms allowed (default HS256 with a credential, RS256 and
	// ES256 with a key); PublicKey a PEM public key; JWKSURL a key set;
	// Audience and Issuer, when set, must match. Header defaults to
	// Authorization (with a Bearer prefix).
	Algorithms []string
	PublicKey  string
	JWKSURL    string
	Audience   string
	Issuer     string

	// mtls: CA is a PEM bundle (inline, or a path to a file) of the CAs
	// allowed to sign client certificates; Subjects, when set, lists the
	// common names or DNS/URI/email SANs allowed.
	CA       string
	Subjects []string
}

// NeedsSecrets reports whether the scheme reads secrets from a credential.
func (c Config) NeedsSecrets() bool {
	switch c.Scheme {
	case SchemeMTLS:
		return false
	case SchemeJWT:
		return c.PublicKey == "" && c.JWKSURL == ""
	}
	return true
}

var configKeys = map[string]bool{
	"scheme": true, "credential": true, "tolerance": true, "algorithm": true, "header": true,
	"encoding": true, "prefix": true, "timestamp_header": true, "template": true,
	"algorithms": true, "public_key": true, "jwks_url": true, "audience": true, "issuer": true,
	"ca": true, "subjects": true,
}

// ConfigKeys lists the keys of a verify entry (for the JSON Schema).
func ConfigKeys() []string {
	keys := make([]string, 0, len(configKeys))
	for k := range configKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ParseConfigs reads on.webhook.verify: one mapping, or a list of them (any
// one verifying is enough, e.g. while moving from one scheme to another).
func ParseConfigs(v any) ([]Config, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		c, err := parseConfig(t)
		if err != nil {
			return nil, err
		}
		return []Config{c}, nil
	case []any:
		if len(t) == 0 {
			return nil, errors.New("verify: the list is empty; give at least one {scheme: …}")
		}
		out := make([]Config, 0, len(t))
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("verify[%d]: must be a mapping like {scheme: stripe, credential: stripe-webhook}", i)
			}
			c, err := parseConfig(m)
			if err != nil {
				return nil, fmt.Errorf("verify[%d]: %w", i, err)
			}
			out = append(out, c)
		}
		return out, nil
	}
	return nil, errors.New("verify: must be a mapping like {scheme: stripe, credential: stripe-webhook} or a list of them")
}

func parseConfig(m map[string]any) (Config, error) {
	var c Config
	for k := range m {
		if !configKeys[k] {
			return c, fmt.Errorf("verify: unknown key %q (known: %s)", k, strings.Join(ConfigKeys(), ", "))
		}
	}
	str := func(key string) (string, error) {
		v, ok := m[key]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("verify.%s must be a string", key)
		}
		return s, nil
	}
	list := func(key string) ([]string, error) {
		switch v := m[key].(type) {
		case nil:
			return nil, nil
		case string:
			return []string{v}, nil
		case []any:
			out := make([]string, 0, len(v))
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("verify.%s must be a list of strings", key)
				}
				out = append(out, s)
			}
			return out, nil
		}
		return nil, fmt.Errorf("verify.%s must be a list of strings", key)
	}
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"scheme", &c.Scheme}, {"credential", &c.Credential}, {"algorithm", &c.Algorithm},
		{"header", &c.Header}, {"encoding", &c.Encoding}, {"prefix", &c.Prefix},
		{"timestamp_header", &c.TimestampHeader}, {"template", &c.Template},
		{"public_key", &c.PublicKey}, {"jwks_url", &c.JWKSURL}, {"audience", &c.Audience},
		{"issuer", &c.Issuer}, {"ca", &c.CA},
	} {
		if *f.dst, err = str(f.key); err != nil {
			return c, err
		}
	}
	if c.Algorithms, err = list("algorithms"); err != nil {
		return c, err
	}
	if c.Subjects, err = list("subjects"); err != nil {
		return c, err
	}
	if t, ok := m["tolerance"]; ok {
		s, ok := t.(string)
		d, err := time.ParseDuration(s)
		if !ok || err != nil || d <= 0 {
			return c, errors.New("verify.tolerance must be a positive duration like 5m")
		}
		c.Tolerance = d
	}
	return c, c.Validate()
}

// Validate checks the configuration, naming the field and the fix.
func (c Config) Validate() error {
	if !slices.Contains(Schemes, c.Scheme) {
		if c.Scheme == "" {
			return fmt.Errorf("verify.scheme is required (one of %s)", strings.Join(Schemes, ", "))
		}
		return fmt.Errorf("verify.scheme %q is not one of %s", c.Scheme, strings.Join(Schemes, ", "))
	}
	if c.NeedsSecrets() && c.Credential == "" {
		return fmt.Errorf("verify.credential is required for scheme %s: name the credential that holds the secret (secrets never go in the workflow file)", c.Scheme)
	}
	switch c.Scheme {
	case SchemeHMAC:
		if c.Header == "" {
			return errors.New("verify.header is required for scheme hmac (the header that carries the signature)")
		}
		if c.Algorithm != "" && hashFor(c.Algorithm) == nil {
			return fmt.Errorf("verify.algorithm %q is not one of sha1, sha256, sha512", c.Algorithm)
		}
		if c.Encoding != "" && c.Encoding != "hex" && c.Encoding != "base64" {
			return fmt.Errorf("verify.encoding %q is not hex or base64", c.Encoding)
		}
	case SchemeJWT:
		for _, a := range c.Algorithms {
			if a != "HS256" && a != "RS256" && a != "ES256" {
				return fmt.Errorf("verify.algorithms: %q is not one of HS256, RS256, ES256", a)
			}
		}
		if c.PublicKey != "" {
			if _, err := parsePublicKey([]byte(c.PublicKey)); err != nil {
				return fmt.Errorf("verify.public_key: %w", err)
			}
		}
		if c.JWKSURL != "" && !strings.HasPrefix(c.JWKSURL, "https://") && !strings.HasPrefix(c.JWKSURL, "http://") {
			return errors.New("verify.jwks_url must be an http(s) URL")
		}
	case SchemeMTLS:
		if c.CA == "" {
			return errors.New("verify.ca is required for scheme mtls: a PEM bundle or the path of one")
		}
	}
	return nil
}

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
