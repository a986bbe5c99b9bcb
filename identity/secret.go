package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// TokenPrefix starts every API token, so secret scanners and people can
// tell a Weft API token from other strings.
const TokenPrefix = "weftpat_"

// newSecret returns prefix + 32 random bytes (256 bits) in base64url.
func newSecret(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating a secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashSecret is the hex SHA-256 the store keeps of a token or session
// value. A fast hash is enough: the values carry 256 random bits, so there
// is nothing to guess, unlike a password (see the identity ADR).
func HashSecret(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// looksLikeToken reports whether v has the shape of an API token.
func looksLikeToken(v string) bool {
	return strings.HasPrefix(v, TokenPrefix) && len(v) < 128
}

// newID returns prefix + 16 random hex digits: ids of users and tokens,
// which are not secret.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
