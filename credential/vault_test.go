package credential_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/store/storesqlite"
)

type testBundle struct {
	vault   *credential.Vault
	store   *storesqlite.Store
	path    string
	keyring *credential.Keyring
}

func setup(t *testing.T, cfg credential.Config) *testBundle {
	t.Helper()
	path := filepath.Join(t.TempDir(), "weft.db")
	st, err := storesqlite.Open(context.Background(), path, storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kr, err := credential.NewKeyring(credential.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Keyring = st, kr
	v, err := credential.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{vault: v, store: st, path: path, keyring: kr}
}

func mustPut(t *testing.T, v *credential.Vault, name string, in credential.Input) {
	t.Helper()
	if _, err := v.Put(context.Background(), name, in); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

func TestWebhookSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	ctx := context.Background()
	mustPut(t, b.vault, "stripe", credential.Input{Type: credential.TypeWebhookSecret,
		Data:     map[string]any{"secret": "whsec_new_one", "secrets": []any{"whsec_new_one", "whsec_old_one"}},
		Settings: credential.Settings{Workflows: []string{"payments"}}})
	got, err := b.vault.WebhookSecrets(ctx, "stripe", "payments")
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, s := range got {
		vals = append(vals, string(s.Value))
		if s.ID == "" || s.ID == string(s.Value) {
			t.Errorf("secret id %q must be a fingerprint", s.ID)
		}
	}
	if !slices.Equal(vals, []string{"whsec_new_one", "whsec_old_one"}) {
		t.Fatalf("secrets = %v", vals)
	}
	if _, err := b.vault.WebhookSecrets(ctx, "stripe", "other"); !errors.Is(err, credential.ErrDenied) || !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("other workflow: err = %v, want ErrDenied", err)
	}
	if _, err := b.vault.WebhookSecrets(ctx, "missing", "payments"); !errors.Is(err, weft.ErrNotFound) {
		t.Fatalf("missing: err = %v", err)
	}
	mustPut(t, b.vault, "api", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "tok_123456"}})
	if _, err := b.vault.WebhookSecrets(ctx, "api", "payments"); !errors.Is(err, weft.ErrInvalid) {
		t.Fatalf("wrong type: err = %v", err)
	}
}

func TestPutValidates(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	for name, in := range map[string]credential.Input{
		"unknown type":   {Type: "magic", Data: map[string]any{}},
		"missing field":  {Type: credential.TypeBasic, Data: map[string]any{"username": "u"}},
		"unknown field":  {Type: credential.TypeBearer, Data: map[string]any{"token": "t", "extra": "x"}},
		"bad enum":       {Type: credential.TypeAPIKey, Data: map[string]any{"api_key": "k", "in": "body"}},
		"bad workflow":   {Type: credential.TypeBearer, Data: map[string]any{"token": "t"}, Settings: credential.Settings{Workflows: []string{"Bad Name"}}},
		"bad host":       {Type: credential.TypeBearer, Data: map[string]any{"token": "t"}, Settings: credential.Settings{Hosts: []string{"https://x"}}},
		"bad limit":      {Type: credential.TypeNone, Settings: credential.Settings{Limits: &credential.Limits{Requests: "fast"}}},
		"bad cidr":       {Type: credential.TypeNone, Settings: credential.Settings{AllowPrivateNet: []string{"10.0.0.0/99"}}},
		"no webhook key": {Type: credential.TypeWebhookSecret, Data: map[string]any{}},
	} {
		if _, err := b.vault.Put(context.Background(), "c", in); !errors.Is(err, weft.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestHostAllowlist(t *testing.T) {
	t.Parallel()
	b := setup(t, credential.Config{})
	mustPut(t, b.vault, "crm", credential.Input{Type: credential.TypeBearer, Data: map[string]any{"token": "crm-token-1"},
		Settings: credential.Settings{Hosts: []string{"api.crm.example", "*.crm.example"}}})
	for host, ok := range map[string]bool{"api.crm.example": true, "eu.crm.example": true, "API.CRM.EXAMPLE": true, "evil.example": false, "crm.example.evil.com": false} {
		req, _ := http.NewRequest("GET", "https://"+host+"/x", nil)
		err := b.vault.Authorize(context.Background(), "wf", "crm", req)
		if ok != (err == nil) {
			t.Errorf("host %s: err = %v", host, err)
		}
		if !ok && req.Header.Get("Authorization") != "" {
			t.Errorf("host %s: token added although refused", host)
		}
	}
}

// keyringOf returns a keyring that opens b's values (the same key): tests
// keep the key by re-creating the vault from the bundle's keyring.
func keyringOf(t *testing.T, b *testBundle) *credential.Keyring {
	t.Helper()
	return b.keyring
}
