package credential

import (
	"context"
	"fmt"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"

	"github.com/weftworks/weft"
)

// KVReader reads a HashiCorp Vault secret: the data map of a KV v2 path like
// "secret/data/crm".
type KVReader interface {
	ReadKV(ctx context.Context, path string) (map[string]any, error)
}

// HashiVault reads KV v2 secrets with the official client.
type HashiVault struct{ c *vaultapi.Client }

var _ KVReader = (*HashiVault)(nil)

// NewHashiVault builds a client for addr with token; empty values fall back
// to VAULT_ADDR and VAULT_TOKEN (the client's own defaults).
func NewHashiVault(addr, token string) (*HashiVault, error) {
	cfg := vaultapi.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client config: %w", cfg.Error)
	}
	if addr != "" {
		cfg.Address = addr
	}
	cfg.MaxRetries = 1
	c, err := vaultapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	if token != "" {
		c.SetToken(token)
	}
	return &HashiVault{c: c}, nil
}

// ReadKV reads path (e.g. "secret/data/crm") and returns its data.
func (h *HashiVault) ReadKV(ctx context.Context, path string) (map[string]any, error) {
	sec, err := h.c.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("reading vault secret %s: %w", path, err)
	}
	if sec == nil || sec.Data == nil {
		return nil, fmt.Errorf("vault secret %s: %w", path, weft.ErrNotFound)
	}
	// KV v2 nests the values under "data"; KV v1 does not.
	if inner, ok := sec.Data["data"].(map[string]any); ok {
		return inner, nil
	}
	return sec.Data, nil
}

// resolve replaces "env:NAME" and "vault:path#key" values in place and
// teaches the redactor every resulting secret.
func (v *Vault) resolve(ctx context.Context, name string, data map[string]any) error {
	for k, val := range data {
		switch x := val.(type) {
		case string:
			s, err := v.resolveOne(ctx, name, k, x)
			if err != nil {
				return err
			}
			data[k] = s
			v.learn(k, s)
		case []any:
			for i, it := range x {
				if s, ok := it.(string); ok {
					r, err := v.resolveOne(ctx, name, k, s)
					if err != nil {
						return err
					}
					x[i] = r
					v.learn(k, r)
				}
			}
		}
	}
	return nil
}

// nonSecretFields are plain settings whose values are not redacted (a
// client id or URL that also appears in ordinary text would otherwise
// become [redacted] everywhere).
var nonSecretFields = map[string]bool{
	"in": true, "name": true, "prefix": true, "username": true, "token_url": true, "auth_url": true,
	"client_id": true, "scopes": true, "oauth": true, "auth_style": true, "audience": true, "redirect_url": true,
	"algorithm": true, "key_id": true, "issuer": true, "subject": true, "claims": true, "ttl": true,
	"header": true, "cert": true, "ca": true, "server_name": true, "headers": true, "query": true,
	// database connections (the url and the password stay secret)
	"host": true, "port": true, "user": true, "database": true, "sslmode": true, "tls": true,
	"path": true, "read_only": true, "max_connections": true,
}

func (v *Vault) learn(field, s string) {
	if !nonSecretFields[field] {
		v.red.Add(s)
	}
}

func (v *Vault) resolveOne(ctx context.Context, cred, field, s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "env:"):
		name := strings.TrimPrefix(s, "env:")
		val, ok := v.cfg.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("credential %q field %s: environment variable %s is not set", cred, field, name)
		}
		return val, nil
	case strings.HasPrefix(s, "vault:"):
		ref := strings.TrimPrefix(s, "vault:")
		path, key, ok := strings.Cut(ref, "#")
		if !ok || path == "" || key == "" {
			return "", fmt.Errorf("credential %q field %s: write vault references like vault:secret/data/crm#token", cred, field)
		}
		if v.cfg.KV == nil {
			return "", fmt.Errorf("credential %q field %s refers to HashiCorp Vault, but no Vault is configured (set VAULT_ADDR and VAULT_TOKEN)", cred, field)
		}
		data, err := v.cfg.KV.ReadKV(ctx, path)
		if err != nil {
			return "", fmt.Errorf("credential %q field %s: %w", cred, field, err)
		}
		val, ok := data[key].(string)
		if !ok {
			return "", fmt.Errorf("credential %q field %s: vault secret %s has no string %q", cred, field, path, key)
		}
		return val, nil
	}
	return s, nil
}
