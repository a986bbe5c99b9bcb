package verifyspec

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// DefaultTolerance is how far a signed timestamp may be from now, either way.
const DefaultTolerance = 5 * time.Minute

// Scheme names.
const (
	SchemeHMAC             = "hmac"
	SchemeStripe           = "stripe"
	SchemeGitHub           = "github"
	SchemeSlack            = "slack"
	SchemeStandardWebhooks = "standard-webhooks"
	SchemeSvix             = "svix"
	SchemeShopify          = "shopify"
	SchemeHubSpot          = "hubspot"
	SchemeBasic            = "basic"
	SchemeBearer           = "bearer"
	SchemeJWT              = "jwt"
	SchemeMTLS             = "mtls"
)

// Schemes lists every scheme, for validation messages and the JSON Schema.
var Schemes = []string{SchemeHMAC, SchemeStripe, SchemeGitHub, SchemeSlack, SchemeStandardWebhooks,
	SchemeSvix, SchemeShopify, SchemeHubSpot, SchemeBasic, SchemeBearer, SchemeJWT, SchemeMTLS}

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

// SecretHeaders lists, lower-case, the headers that carry the caller's
// credential under this entry: they are redacted wherever the request is
// kept (execution input, delivery log, events). Signature headers (hmac,
// stripe, github, …) are not listed: a signature proves one body only and
// cannot be turned into another, and a workflow may forward it to a
// service that verifies it again.
func (c Config) SecretHeaders() []string {
	switch c.Scheme {
	case SchemeBasic:
		return []string{"authorization"}
	case SchemeBearer, SchemeJWT:
		if c.Header != "" {
			return []string{strings.ToLower(c.Header)}
		}
		return []string{"authorization"}
	}
	return nil
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

// Requires lists the keys scheme needs besides scheme itself. jwt needs one
// of credential, public_key or jwks_url, which no single key expresses.
func Requires(scheme string) []string {
	switch scheme {
	case SchemeHMAC:
		return []string{"credential", "header"}
	case SchemeMTLS:
		return []string{"ca"}
	case SchemeJWT:
		return nil
	}
	return []string{"credential"}
}

// Algorithm and encoding names, for validation messages and the JSON Schema.
var (
	HMACAlgorithms = []string{"sha1", "sha256", "sha512"}
	HMACEncodings  = []string{"hex", "base64"}
	JWTAlgorithms  = []string{"HS256", "RS256", "ES256"}
)

// ConfigError is a problem with one key of a verify entry: what is wrong and
// how to fix it. Field is empty when the problem is the entry as a whole.
type ConfigError struct {
	Field   string
	Message string
	Fix     string
	// Choices are the values Field allows, for a "did you mean".
	Choices []string
}

func (e *ConfigError) Error() string {
	s := "verify"
	if e.Field != "" {
		s += "." + e.Field
	}
	s += ": " + e.Message
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// Validate returns the first of c's problems, or nil.
func (c Config) Validate() error {
	if ps := c.Problems(); len(ps) > 0 {
		return ps[0]
	}
	return nil
}

// Problems checks the configuration without touching the network or the
// disk, and returns every problem, each naming its key and the fix.
func (c Config) Problems() []*ConfigError {
	var out []*ConfigError
	add := func(field, msg, fix string, choices ...string) {
		out = append(out, &ConfigError{Field: field, Message: msg, Fix: fix, Choices: choices})
	}
	if !slices.Contains(Schemes, c.Scheme) {
		schemes := "use one of " + strings.Join(Schemes, ", ")
		switch alg, isHMAC := strings.CutPrefix(strings.ToLower(c.Scheme), "hmac-"); {
		case c.Scheme == "":
			add("scheme", "is required", schemes)
		case isHMAC && slices.Contains(HMACAlgorithms, alg):
			add("scheme", fmt.Sprintf("%q is not a verify scheme", c.Scheme), "write scheme: hmac with algorithm: "+alg)
		default:
			add("scheme", fmt.Sprintf("%q is not a verify scheme", c.Scheme), schemes, Schemes...)
		}
		return out // every other check depends on the scheme
	}
	set := map[string]bool{"credential": c.Credential != "", "header": c.Header != "", "ca": c.CA != ""}
	fixes := map[string]string{
		"credential": "name the webhook_secret credential that holds the secret (secrets never go in the workflow file)",
		"header":     "name the header that carries the signature, like X-Signature",
		"ca":         "give a PEM bundle of the CAs that sign client certificates, inline or as a file path",
	}
	for _, k := range Requires(c.Scheme) {
		if !set[k] {
			add(k, "is required for scheme "+c.Scheme, fixes[k])
		}
	}
	switch c.Scheme {
	case SchemeHMAC:
		if c.Algorithm != "" && !knownAlgorithm(c.Algorithm) {
			add("algorithm", fmt.Sprintf("%q is not supported", c.Algorithm), "use one of "+strings.Join(HMACAlgorithms, ", "), HMACAlgorithms...)
		}
		if c.Encoding != "" && !slices.Contains(HMACEncodings, c.Encoding) {
			add("encoding", fmt.Sprintf("%q is not supported", c.Encoding), "use hex or base64", HMACEncodings...)
		}
		if strings.Contains(c.Template, "{timestamp}") && c.TimestampHeader == "" {
			add("template", "uses {timestamp} but no timestamp_header is set", "set timestamp_header to the header that carries the signed timestamp")
		}
	case SchemeJWT:
		if c.Credential == "" && c.PublicKey == "" && c.JWKSURL == "" {
			add("", "scheme jwt needs a key source", "set credential (HS256 secrets), public_key (a PEM public key) or jwks_url")
		}
		for _, a := range c.Algorithms {
			if !slices.Contains(JWTAlgorithms, a) {
				add("algorithms", fmt.Sprintf("%q is not supported", a), "use "+strings.Join(JWTAlgorithms, ", "), JWTAlgorithms...)
			}
		}
		if c.PublicKey != "" {
			if _, err := ParsePublicKey([]byte(c.PublicKey)); err != nil {
				add("public_key", err.Error(), "give a PEM public key (-----BEGIN PUBLIC KEY-----)")
			}
		}
		if c.JWKSURL != "" && !strings.HasPrefix(c.JWKSURL, "https://") && !strings.HasPrefix(c.JWKSURL, "http://") {
			add("jwks_url", fmt.Sprintf("%q is not an http(s) URL", c.JWKSURL), "give the URL of the issuer's key set, like https://idp.example.com/.well-known/jwks.json")
		}
	case SchemeMTLS:
		if strings.Contains(c.CA, "-----BEGIN") && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CA)) {
			add("ca", "holds no PEM certificate", "paste the CA certificates (-----BEGIN CERTIFICATE-----) or give a file path")
		}
	}
	return out
}

// knownAlgorithm reports an HMAC algorithm verify can compute (the names
// verify's hashFor accepts).
func knownAlgorithm(alg string) bool {
	switch strings.ToLower(alg) {
	case "", "sha1", "sha256", "sha512":
		return true
	}
	return false
}

// parsePublicKey reads a PEM public key (PKIX, PKCS#1 RSA, or a certificate).
func ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch k.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			return k, nil
		}
		return nil, errors.New("only RSA and ECDSA public keys are supported")
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
}
