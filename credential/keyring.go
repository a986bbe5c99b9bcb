package credential

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key: AES-256.
const KeySize = 32

// sealPrefix starts every sealed value: version 1, then the id of the key.
const sealPrefix = "wv1:"

// ErrNoKey means a sealed value names a master key the keyring lacks (the key
// was rotated away, or WEFT_MASTER_KEY changed).
var ErrNoKey = errors.New("master key not available")

// Keyring seals and opens values with AES-256-GCM. The first key seals;
// every key opens, so a rotation can proceed row by row.
type Keyring struct {
	keys []key
}

type key struct {
	id   string
	aead cipher.AEAD
	raw  []byte
}

func (kr *Keyring) raw() [][]byte {
	out := make([][]byte, len(kr.keys))
	for i, k := range kr.keys {
		out[i] = k.raw
	}
	return out
}

// KeyID is a short public fingerprint of a key (never the key itself).
func KeyID(k []byte) string {
	sum := sha256.Sum256(append([]byte("weft-master-key-id:"), k...))
	return hex.EncodeToString(sum[:4])
}

// NewKeyring builds a keyring; keys[0] seals new values.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("keyring: no master key")
	}
	kr := &Keyring{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("keyring: master key %d is %d bytes, want %d", i, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		kr.keys = append(kr.keys, key{id: KeyID(k), aead: aead, raw: append([]byte(nil), k...)})
	}
	return kr, nil
}

// PrimaryID is the id of the key that seals.
func (kr *Keyring) PrimaryID() string { return kr.keys[0].id }

// Seal encrypts plaintext, bound to aad (the credential name, so a sealed
// value cannot be moved to another credential). Output: "wv1:<keyid>:" +
// base64(nonce || ciphertext).
func (kr *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	k := kr.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	ct := k.aead.Seal(nonce, nonce, plaintext, aad)
	return []byte(sealPrefix + k.id + ":" + base64.RawStdEncoding.EncodeToString(ct)), nil
}

// Open decrypts a sealed value.
func (kr *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, []byte(sealPrefix))
	if !ok {
		return nil, errors.New("opening sealed value: unknown format")
	}
	id, b64, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return nil, errors.New("opening sealed value: unknown format")
	}
	for _, k := range kr.keys {
		if k.id != string(id) {
			continue
		}
		ct, err := base64.RawStdEncoding.DecodeString(string(b64))
		if err != nil || len(ct) < k.aead.NonceSize() {
			return nil, errors.New("opening sealed value: corrupt")
		}
		pt, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], aad)
		if err != nil {
			return nil, errors.New("opening sealed value: authentication failed (wrong key or tampered data)")
		}
		return pt, nil
	}
	return nil, fmt.Errorf("opening sealed value sealed with key %s: %w", id, ErrNoKey)
}

// SealedKeyID returns the id of the key a value was sealed with.
func SealedKeyID(sealed []byte) string {
	rest, ok := bytes.CutPrefix(sealed, []byte(sealPrefix))
	if !ok {
		return ""
	}
	id, _, _ := bytes.Cut(rest, []byte(":"))
	return string(id)
}

// NewKey returns a fresh random master key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return k
}

// EncodeKey writes a key as it is kept in a file or WEFT_MASTER_KEY: base64.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// DecodeKey reads a key in base64 (standard or URL alphabet) or hex.
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("master key must be %d random bytes in base64 or hex (make one with: openssl rand -base64 32)", KeySize)
}

// KeySource says where the master key comes from.
type KeySource struct {
	// Env is the value of WEFT_MASTER_KEY ("" if unset); it wins over File.
	Env string
	// EnvOld is the value of WEFT_MASTER_KEY_OLD: a previous key that still
	// opens values during a rotation.
	EnvOld string
	// File is the key file, created (0600) with a new key when missing and
	// Env is empty. Its ".old" sibling, if present, opens values too.
	File string
}

// LoadKeyring reads (or creates) the master key and returns a keyring, and
// whether a new key file was created.
func LoadKeyring(src KeySource) (*Keyring, bool, error) {
	var keys [][]byte
	created := false
	if src.Env != "" {
		k, err := DecodeKey(src.Env)
		if err != nil {
			return nil, false, fmt.Errorf("WEFT_MASTER_KEY: %w", err)
		}
		keys = append(keys, k)
		if src.EnvOld != "" {
			old, err := DecodeKey(src.EnvOld)
			if err != nil {
				return nil, false, fmt.Errorf("WEFT_MASTER_KEY_OLD: %w", err)
			}
			keys = append(keys, old)
		}
	} else {
		if src.File == "" {
			return nil, false, errors.New("no master key: set WEFT_MASTER_KEY or --master-key-file")
		}
		k, err := readKeyFile(src.File)
		switch {
		case errors.Is(err, os.ErrNotExist):
			k = NewKey()
			if err := WriteKeyFile(src.File, k); err != nil {
				return nil, false, err
			}
			created = true
		case err != nil:
			return nil, false, err
		}
		keys = append(keys, k)
	}
	if src.File != "" {
		if old, err := readKeyFile(src.File + ".old"); err == nil {
			keys = append(keys, old)
		}
	}
	kr, err := NewKeyring(keys...)
	return kr, created, err
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading master key file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	k, err := DecodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, nil
}

// WriteKeyFile writes a key file atomically with mode 0600.
func WriteKeyFile(path string, k []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating key directory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(EncodeKey(k)+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing master key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing master key file: %w", err)
	}
	return nil
}
