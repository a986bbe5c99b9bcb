package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

// adminTokenKey is the setting holding the hex SHA-256 of the generated
// admin token. The database never holds the token itself.
const adminTokenKey = "admin_token_sha256"

// adminTokenResult says which token the server accepts.
type adminTokenResult struct {
	hash [32]byte
	// token is set only when this start generated it: print it once.
	token string
	// file is where the generated token was written.
	file string
}

// adminToken returns the admin token the server accepts: WEFT_ADMIN_TOKEN
// when set; otherwise the one whose hash the database holds (shared by every
// process on it); otherwise a new one, whose hash is stored and whose value
// is written to <data>/admin.token with mode 0600 and announced once.
func adminToken(ctx context.Context, env *Env, st store.Settings, data string) (adminTokenResult, error) {
	var res adminTokenResult
	if t := strings.TrimSpace(env.Getenv("WEFT_ADMIN_TOKEN")); t != "" {
		if len(t) < 16 {
			return res, errors.New("WEFT_ADMIN_TOKEN is shorter than 16 characters: use a long random value (e.g. openssl rand -hex 24)")
		}
		res.hash = sha256.Sum256([]byte(t))
		return res, nil
	}
	stored, err := st.GetSetting(ctx, adminTokenKey)
	switch {
	case err == nil:
		return hashResult(stored)
	case !errors.Is(err, weft.ErrNotFound):
		return res, fmt.Errorf("reading the admin token hash: %w", err)
	}

	path := filepath.Join(data, "admin.token")
	token := ""
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) != "" {
		token = strings.TrimSpace(string(b)) // a token file from before the hash was in the database
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("reading %s: %w", path, err)
	}
	fresh := token == ""
	if fresh {
		var raw [24]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return res, fmt.Errorf("generating admin token: %w", err)
		}
		token = "weft_" + base64.RawURLEncoding.EncodeToString(raw[:])
	}
	sum := sha256.Sum256([]byte(token))
	won, err := st.PutSettingIfAbsent(ctx, adminTokenKey, hex.EncodeToString(sum[:]))
	if err != nil {
		return res, fmt.Errorf("storing the admin token hash: %w", err)
	}
	if won != hex.EncodeToString(sum[:]) {
		// Another process sharing the database generated one first.
		return hashResult(won)
	}
	res.hash = sum
	if fresh {
		if err := os.MkdirAll(data, 0o700); err != nil {
			return res, fmt.Errorf("creating data directory: %w", err)
		}
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			return res, fmt.Errorf("writing admin token to %s: %w", path, err)
		}
		res.token, res.file = token, path
	}
	return res, nil
}

func hashResult(stored string) (adminTokenResult, error) {
	var res adminTokenResult
	b, err := hex.DecodeString(stored)
	if err != nil || len(b) != len(res.hash) {
		return res, fmt.Errorf("the stored admin token hash is damaged: set WEFT_ADMIN_TOKEN to choose a token")
	}
	copy(res.hash[:], b)
	return res, nil
}
