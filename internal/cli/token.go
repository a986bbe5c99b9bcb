package cli

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// adminToken returns the sha256 of the admin token: from WEFT_ADMIN_TOKEN,
// else from <data>/admin.token, else a new random token written there with
// mode 0600 and announced once (fresh=true).
func adminToken(env *Env, data string) (hash [32]byte, token string, fresh bool, err error) {
	if t := strings.TrimSpace(env.Getenv("WEFT_ADMIN_TOKEN")); t != "" {
		if len(t) < 16 {
			return hash, "", false, errors.New("WEFT_ADMIN_TOKEN is shorter than 16 characters: use a long random value (e.g. openssl rand -hex 24)")
		}
		return sha256.Sum256([]byte(t)), "", false, nil
	}
	path := filepath.Join(data, "admin.token")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		t := strings.TrimSpace(string(b))
		if t == "" {
			return hash, "", false, fmt.Errorf("%s is empty: delete it to generate a new admin token, or set WEFT_ADMIN_TOKEN", path)
		}
		return sha256.Sum256([]byte(t)), "", false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return hash, "", false, fmt.Errorf("reading admin token: %w", err)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return hash, "", false, fmt.Errorf("generating admin token: %w", err)
	}
	t := "weft_" + base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(data, 0o700); err != nil {
		return hash, "", false, fmt.Errorf("creating data directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return hash, "", false, fmt.Errorf("writing admin token to %s: %w", path, err)
	}
	return sha256.Sum256([]byte(t)), t, true, nil
}
